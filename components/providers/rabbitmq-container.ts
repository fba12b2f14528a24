// Dynamic provider: runs the broker container and returns only when RabbitMQ reports
// "Starting broker... completed" (its own readiness signal), so nothing talks to a
// half-booted node. Its configuration, cookie and keys go in as files, never through the
// environment; a new configuration is checked by RabbitMQ's own loader before the running
// node is replaced. The memory watermark and disk limit are LiveSettings' to change.
//
// A changed container (a new image: plugins or a point release of RabbitMQ; memory limit,
// watermark, ports) is made again on the same volume by an update, in place, as RabbitMQ's
// "Upgrading RabbitMQ" guide does a rolling upgrade: every stable feature flag enabled and
// (for a new version) no resource alarm before the node stops; in a cluster, once the quorum
// queues keep a majority without it (`await_online_quorum_plus_one`), the node is drained
// (maintenance mode: clients and queue leaders move to the other nodes), replaced, revived,
// and `enable_feature_flag all` runs again. A cluster's restarts go one node at a time through
// a per-cluster queue in this provider (its nodes are made at the same time). A new name (a new generation, blue-green) is a replacement
// made before the old container is deleted (broker-generation.ts).
import * as pulumi from "@pulumi/pulumi";
import { ChildProcess, spawn } from "child_process";
import { DynamicResource, changedInputs, isUnknown, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BootAdmin, bootDefinitions } from "../../lib/boot-definitions";
import { claim, ownedForDelete } from "../../lib/docker-ownership";
import { engineInfo, engineWarn } from "../../lib/engine-log";
import { CommandError, docker } from "../../lib/exec";
import { bindAddressMissingMessage, portInUseMessage } from "../../lib/errors";
import {
    CONTAINER_PORTS,
    DiskFreeLimit,
    STAGED_DIR,
    TLS_DIR,
    envConf,
    joinsOnRetry,
    liveConf,
    rabbitmqConf,
} from "../../lib/node-config";
import { EarlierJobFailed, OneAtATime } from "../../lib/one-at-a-time";
import { unwrapSecrets } from "../../lib/secrets";
import { OWNER_LABEL } from "../../lib/ownership";
import { plainVersion } from "../../lib/upgrade-plan";

export interface RabbitmqContainerInputs {
    name: string;
    image: string;
    hostname: string;
    nodeName: string;
    bindAddress: string;
    amqpPort: number;
    managementPort: number;
    /** Host port of the Prometheus endpoint; null: metrics off. */
    metricsPort: number | null;
    volume: string;
    memoryLimitMb: number;
    /** At creation only (live.conf); later changes go to the running node through LiveSettings, like diskFreeLimit. */
    memoryHighWatermark: number;
    diskFreeLimit: DiskFreeLimit;
    /** The container's open-file limit (soft = hard): burrow:openFileLimit capped at the engine's hard limit. */
    openFileLimit: number;
    /** cluster_partition_handling ("" = RabbitMQ's default, a single node). */
    partitionHandling: string;
    /** The user's own rabbitmq.conf keys, advanced.config and rabbitmq-env.conf entries (secret: they may hold passwords). */
    rabbitmqConf: Record<string, string>;
    advancedConfig: string;
    envConfig: Record<string, string>;
    erlangCookie: string;
    /** burrow.stack and burrow.owner: whose container it is (lib/docker-ownership.ts). Not a reason to replace it. */
    labels: Record<string, string>;
    readyTimeoutMs: number;
    /**
     * Cluster mode: the stack's network, this node's alias on it, the peers it may join at
     * first boot. (Leaving the cluster is the node's volume's delete, docker-volume.ts: a
     * replaced container stays a member.)
     */
    cluster: null | { network: string; alias: string; peers: string[] };
    /**
     * A cluster node other than the first: the first node's container. Its first boot starts
     * once that node has booted (see awaitFirstNode); null: none (a single node, the first node, an
     * old broker being emptied). How the node starts, not what it is: never a reason for a new
     * container.
     */
    firstNode: null | { container: string; nodeName: string };
    /** TLS listeners: certificate files copied into the container before it starts; null: none. */
    tls: null | {
        only: boolean;
        amqpsPort: number;
        managementPort: number;
        caCert: string;
        serverCert: string;
        serverKey: string;
    };
    /**
     * The admin user, imported by the node at its first boot (lib/boot-definitions.ts); null:
     * none (guest is created as usual). Only used when the container is made: a later change is
     * the AdminUser's to apply, never a reason to replace the broker.
     */
    bootAdmin: null | BootAdmin;
    /**
     * A whole definitions document the node imports at its first boot instead (secret): the
     * old broker's, when this is the new broker of a blue-green upgrade. Only used when the
     * container is made.
     */
    bootDefinitions: null | string;
    /** The RabbitMQ version the image runs: a new one means the upgrade checks (alarms) before the node stops. */
    rabbitmqVersion: string;
}

export interface RabbitmqContainerOutputs extends RabbitmqContainerInputs {
    containerId: string;
    readyMs: number;
}

// "Starting broker... completed with N plugins." (a joining node may print progress reports in between).
const READY_LINE = /Starting broker\.\.\.[\s\S]*completed with \d+ plugins/;

/** Whether the port can be published on the address: undefined if so, else why not (EADDRINUSE, EADDRNOTAVAIL, ...). */
function portProblem(host: string, port: number): Promise<string | undefined> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
    });
}

async function state(name: string): Promise<{ running: boolean; id: string } | undefined> {
    try {
        const { stdout } = await docker(["container", "inspect", "--format", "{{.State.Running}} {{.Id}}", name]);
        const [running, id] = stdout.trim().split(" ");
        return { running: running === "true", id };
    } catch {
        return undefined;
    }
}

/**
 * Waits for RabbitMQ's own readiness line in the container's log. The log is followed
 * (one `docker logs --follow`), not polled: no docker CLI process every few hundred ms
 * competing for the CPU with the booting broker, and the line is seen the moment it is
 * written. Fails at once on "BOOT FAILED" or when the container stops.
 */
export async function waitReady(name: string, since: string, timeoutMs: number): Promise<void> {
    let log = "";
    let done = false;
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    let watcher: NodeJS.Timeout | undefined;
    let failing: NodeJS.Timeout | undefined;
    try {
        await new Promise<void>((resolve, reject) => {
            const last = (n: number) => log.trim().split("\n").slice(-n).join("\n");
            const check = (chunk: Buffer) => {
                log += chunk.toString("utf8");
                if (READY_LINE.test(log)) return resolve();
                // It restarts (restart policy) and fails the same way again: say so now, not at the timeout.
                // The reason follows the line: give it a moment to arrive.
                if (/BOOT FAILED/.test(log) && !failing) {
                    failing = setTimeout(() => {
                        const lines = log.split("\n");
                        const at = lines.findIndex((l) => /BOOT FAILED/.test(l));
                        reject(
                            new Error(
                                `RabbitMQ in the broker container ${name} failed to boot:\n${lines.slice(Math.max(0, at - 6), at + 16).join("\n")}\n(see \`docker logs ${name}\`)`,
                            ),
                        );
                    }, 1500);
                }
            };
            const follow = () => {
                log = "";
                child = spawn("docker", ["logs", "--follow", "--since", since, name], {
                    stdio: ["ignore", "pipe", "pipe"],
                });
                child.stdout!.on("data", check);
                child.stderr!.on("data", check);
                child.on("error", (e) => reject(new Error(`could not follow the log of ${name}: ${e.message}`)));
                // `docker logs --follow` ends when the container stops; a restarted one is followed again.
                child.on("close", () => {
                    if (!done) setTimeout(() => !done && follow(), 500);
                });
            };
            follow();
            // The container may stop for good without a BOOT FAILED line (killed, out of memory).
            watcher = setInterval(() => {
                state(name).then(
                    (s) => {
                        if (!s?.running)
                            reject(
                                new Error(
                                    `the broker container ${name} stopped while RabbitMQ was starting (out of memory? see burrow:memoryLimitMb); its last log lines:\n${last(15)}`,
                                ),
                            );
                    },
                    () => undefined,
                );
            }, 2000);
            timer = setTimeout(
                () =>
                    reject(
                        new Error(
                            `RabbitMQ in the broker container ${name} was not ready after ${timeoutMs / 1000} s; see \`docker logs ${name}\``,
                        ),
                    ),
                timeoutMs,
            );
        });
    } finally {
        done = true;
        clearTimeout(timer);
        clearTimeout(failing);
        clearInterval(watcher);
        child?.kill();
    }
}

/** The node's rabbitmq.conf, as the container's ports and files are laid out. */
export function containerConf(i: RabbitmqContainerInputs): string {
    return rabbitmqConf({
        amqpListener: i.tls?.only ? null : String(CONTAINER_PORTS.amqp),
        management: i.tls?.only ? null : { port: CONTAINER_PORTS.management },
        // With TLS only, metrics too are served over HTTPS only.
        metrics: i.metricsPort === null ? null : { port: CONTAINER_PORTS.metrics, tls: i.tls?.only === true },
        totalMemoryBytes: i.memoryLimitMb * 1024 * 1024,
        // In live.conf: changed on the running node (LiveSettings), never a reason for a new container.
        memoryHighWatermark: null,
        diskFreeLimit: null,
        partitionHandling: i.partitionHandling || null,
        tls: i.tls
            ? { amqpsPort: CONTAINER_PORTS.amqps, managementPort: CONTAINER_PORTS.managementTls, dir: TLS_DIR }
            : null,
        peers: i.cluster?.peers ?? [],
        extra: i.rabbitmqConf,
    });
}

/** The configuration files burrow copies to STAGED_DIR, as [name, content, mode]. */
export function configFiles(i: RabbitmqContainerInputs): Array<[string, string, number]> {
    return [
        ["rabbitmq.conf", containerConf(i), 0o644],
        ["live.conf", liveConf(i.memoryHighWatermark, i.diskFreeLimit) + "\n", 0o644],
        ...(i.advancedConfig
            ? ([["advanced.config", i.advancedConfig, 0o600]] as Array<[string, string, number]>)
            : []),
        ...(Object.keys(i.envConfig).length > 0
            ? ([["rabbitmq-env.conf", envConf(i.envConfig), 0o600]] as Array<[string, string, number]>)
            : []),
    ];
}

/** A node's cluster input without its peers: they are read at the node's first boot only, so a new list is not a new node. */
const withoutPeers = (c: RabbitmqContainerInputs["cluster"]) => (c ? { ...c, peers: [] } : null);

/** What the config check looks at: rabbitmq.conf (the live settings are not in it), advanced.config, the image. */
function checkedConfig(i: Partial<RabbitmqContainerInputs>): string {
    try {
        const c = i as RabbitmqContainerInputs;
        const conf = containerConf({ ...c, cluster: withoutPeers(c.cluster) });
        return JSON.stringify([conf, i.advancedConfig ?? "", i.image]);
    } catch {
        return ""; // a state written before these inputs existed
    }
}

/** Whether a value not known yet (a preview) is anywhere in it. */
const hasUnknown = (v: unknown): boolean =>
    isUnknown(v) || (typeof v === "object" && v !== null && Object.values(v).some(hasUnknown));

/** Runs a shell script in a throwaway container of the image, without a network (optionally on a volume, with stdin). */
function inThrowaway(image: string, script: string, opts: { volume?: string; input?: string } = {}) {
    return docker(
        [
            "run",
            "--rm",
            ...(opts.input !== undefined ? ["-i"] : []),
            "--network",
            "none",
            "--entrypoint",
            "sh",
            ...(opts.volume ? ["--volume", `${opts.volume}:/var/lib/rabbitmq`] : []),
            image,
            "-c",
            script,
        ],
        { input: opts.input, timeoutMs: 120_000 },
    );
}

/**
 * Runs RabbitMQ's own config loader (lib/node-config.ts CONFIG_CHECK) on the new files in a
 * throwaway container of the new image, without a network: a configuration the broker would
 * refuse at boot is refused here, before the running node is stopped. The files travel on
 * stdin (they may hold passwords).
 */
export async function checkConfigInImage(i: RabbitmqContainerInputs): Promise<void> {
    const files: Array<[string, string]> = [
        ...configFiles(i)
            .filter(([name]) => name === "rabbitmq.conf" || name === "advanced.config")
            .map(([name, content]) => [`/tmp/burrow-check/${name}`, content] as [string, string]),
        // The loader checks that certificate files are readable; empty stand-ins are.
        ...(i.tls ? ["ca.pem", "cert.pem", "key.pem"].map((f) => [`${TLS_DIR}/${f}`, ""] as [string, string]) : []),
    ];
    const input = files.map(([p, c]) => `${p} ${Buffer.from(c).toString("base64")}\n`).join("");
    const script = `set -e
while read -r path data; do mkdir -p "$(dirname "$path")"; printf '%s' "$data" | base64 -d > "$path"; done
exec /usr/local/bin/burrow-config-check /tmp/burrow-check`;
    try {
        await inThrowaway(i.image, script, { input });
    } catch (e) {
        const out = `${(e as CommandError).stdout ?? ""}${(e as CommandError).stderr ?? ""}`.trim();
        throw new Error(
            `RabbitMQ's own config loader refuses the new configuration (burrow:rabbitmqConf / burrow:advancedConfig); ` +
                `nothing was changed, the running node keeps its configuration:\n${out || (e as Error).message}`,
            { cause: e },
        );
    }
}

/** Labels the container of an old broker being emptied by a blue-green upgrade (broker-generation.ts). */
export const ROLE_LABEL = "burrow.role";
export const BLUE_DRAIN = "blue-drain";

/** The container's state, image and role; undefined when there is none. */
export async function inspectContainer(
    name: string,
): Promise<
    { running: boolean; neverStarted: boolean; id: string; image: string; role: string; ports: boolean } | undefined
> {
    const r = await docker([
        "container",
        "inspect",
        "--format",
        `[{{json .State.Running}},{{json .Id}},{{json .Image}},{{json (index .Config.Labels "${ROLE_LABEL}")}},{{json .HostConfig.PortBindings}},{{json .State.Status}}]`,
        name,
    ]).catch(() => undefined);
    if (!r) return undefined;
    const [running, id, image, role, ports, status] = JSON.parse(r.stdout) as [
        boolean,
        string,
        string,
        string | null,
        object,
        string,
    ];
    // "created": made by `docker create` and never started, so possibly not finished (run()
    // copies files in and connects networks after the create; an interrupted up stops between).
    return {
        running,
        neverStarted: status === "created",
        id,
        image,
        role: role ?? "",
        ports: Object.keys(ports ?? {}).length > 0,
    };
}

/**
 * A container of this name left by an interrupted `pulumi up` is removed; another stack
 * state's is an error. One that runs is first let finish its boot (at most the readiness
 * timeout) and stopped cleanly: a node killed in its first boot leaves its schema half
 * written on the volume, and every later boot on it fails (schema_integrity_check_failed;
 * the next up after a CLI killed mid-create removed it within a second, seen once in CI's suite).
 */
async function removeLeftover(inputs: RabbitmqContainerInputs): Promise<void> {
    if (!(await claim("container", inputs.name, inputs.labels))) return;
    if ((await state(inputs.name))?.running) {
        const { stdout } = await docker(["container", "inspect", "--format", "{{.State.StartedAt}}", inputs.name]);
        const since = new Date(Date.parse(stdout.trim()) - 1000).toISOString();
        await waitReady(inputs.name, since, inputs.readyTimeoutMs).catch(() => undefined);
        await stopAndRemove(inputs.name, inputs.cluster !== null).catch(() => undefined);
    }
    await docker(["rm", "--force", inputs.name]).catch((e: Error) => {
        if (!/no such container/i.test(e.message)) throw e;
    });
}

/**
 * Which input changes replace the container and which are only stored. Labels are only
 * stored (docker cannot relabel a running container; a replacement restarts the broker, so
 * a new label must not cause one): the state's labels are what delete checks ownership
 * with. bootAdmin and bootDefinitions only matter when the container is made; the readiness
 * timeout is how long to wait, not what runs; the version changes with the image. The
 * watermark and disk limit too only matter when it is made: later changes go to the running
 * node (LiveSettings), never a reason for a restart.
 */
export function containerChanges(
    olds: RabbitmqContainerInputs,
    news: RabbitmqContainerInputs,
): { replaces: string[]; stored: string[] } {
    // States written before leaving the cluster moved to the volume carry cluster.forgetVia: no longer an input.
    const oldCluster = olds.cluster as (RabbitmqContainerInputs["cluster"] & { forgetVia?: string }) | null;
    const { forgetVia: _gone, ...cluster } = oldCluster ?? { forgetVia: undefined };
    const was = {
        ...olds,
        cluster: withoutPeers(oldCluster ? (cluster as RabbitmqContainerInputs["cluster"]) : null),
    } as RabbitmqContainerInputs;
    news = { ...news, cluster: withoutPeers(news.cluster) };
    const how = ["readyTimeoutMs", "bootAdmin", "bootDefinitions", "rabbitmqVersion", "firstNode"];
    return {
        replaces: changedInputs(was, news, [...how, "labels", "memoryHighWatermark", "diskFreeLimit"]),
        stored: changedInputs(was, news, how).filter((k) => k === "labels"),
    };
}

/** Writes files to a private temporary directory and copies them into a created container. */
async function copyIn(container: string, dest: string, files: Array<[string, string, number]>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-files-"));
    try {
        for (const [name, content, mode] of files) fs.writeFileSync(path.join(dir, name), content, { mode });
        await docker(["cp", `${dir}/.`, `${container}:${dest}`]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Holds a node's start until the cluster's first node can be the one it joins. The nodes of a
 * cluster are made at the same time, and a new node joins by RabbitMQ's own peer discovery,
 * which (3.13 and later) picks among the nodes that answer the one in the largest cluster,
 * then the one whose Erlang VM started first, and retries while fewer than two of the nodes
 * it lists answer. A new node lists node 1 and itself (broker-cluster.ts), and starts once
 * node 1's Erlang VM runs: node 1 is then the older of the two, so the new node waits in
 * RabbitMQ's own retries until node 1 answers and joins it. The nodes boot at the same time;
 * never two clusters. Before 3.13 RabbitMQ joins the first peer that answers and otherwise
 * boots alone, without retrying: there a first boot waits for node 1's whole boot, asked of
 * node 1 itself (RabbitMQ's `await_startup`), not read from its log, which may have been
 * rotated.
 *
 * A node whose volume holds data waits too, but only so long (60 s) and never fails for it:
 * a first boot that failed halfway (node 1 never came up) leaves files on a volume whose
 * node never joined, and RabbitMQ may still run peer discovery for it, so node 1's VM must
 * be the older one again. Node 1's VM registers with epmd before it waits for its peers, so
 * a cluster kept with keepData, whose nodes wait for each other, cannot deadlock on it; and a
 * node 1 that is down for good does not keep the other nodes from restarting.
 */
export async function awaitFirstNode(
    first: { container: string; nodeName: string },
    nodeName: string,
    timeoutMs: number,
    rabbitmqVersion: string,
    /** Whether this node's boot is its first (volumeIsBlank), found out meanwhile. */
    firstBoot: Promise<boolean>,
): Promise<void> {
    let known: boolean | undefined;
    let failed: Error | undefined;
    const blank = firstBoot.then(
        (b) => (known = b),
        (e: Error) => {
            failed = e;
            return true;
        },
    );
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    const late = (why: string) =>
        new Error(
            `${nodeName} did not start: its first boot joins the cluster of ${first.nodeName}, and that node (container ${first.container}) ${why}; see \`docker logs ${first.container}\``,
        );
    let said = false;
    // Made at the same time as this one: its container may not exist or run yet. Cheap checks
    // until its Erlang VM runs (its name registered with epmd); before 3.13, then one wait for its boot.
    const [short] = first.nodeName.split("@");
    for (;;) {
        const r = await docker(["exec", first.container, "epmd", "-names"], { timeoutMs: 30_000 }).catch(
            () => undefined,
        );
        if (failed) throw failed;
        if (r && r.stdout.split("\n").some((l) => l.startsWith(`name ${short} at port`))) break;
        if (known === false && Date.now() > t0 + DATA_NODE_WAIT_MS) {
            await engineInfo(
                `${nodeName} starts without ${first.nodeName} (${first.container}), which is not running after ${DATA_NODE_WAIT_MS / 1000} s: it has data, and finds its cluster's other nodes itself`,
            );
            return;
        }
        if (Date.now() > deadline) throw late(`was not running after ${timeoutMs / 1000} s`);
        if (!said) {
            said = true;
            await engineInfo(
                `${nodeName} waits for ${first.nodeName} (${first.container}) to run, to join its cluster`,
            );
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    const firstTime = await blank;
    if (failed) throw failed;
    if (!firstTime || joinsOnRetry(rabbitmqVersion)) return;
    const left = Math.max(1, Math.round((deadline - Date.now()) / 1000));
    await docker(["exec", first.container, "rabbitmqctl", "-q", "await_startup", "--timeout", String(left)], {
        timeoutMs: (left + 30) * 1000,
    }).catch((e: CommandError) => {
        throw late(`did not boot: ${(e.stderr || e.message).trim()}`);
    });
}

/** How long a node with data waits for node 1's VM before it starts anyway (awaitFirstNode). */
const DATA_NODE_WAIT_MS = 60_000;

/**
 * Whether a node's volume holds no RabbitMQ data yet (its first boot ahead), as the image's
 * entrypoint decides it: /var/lib/rabbitmq/mnesia empty or absent. Read by a throwaway
 * container of the node's image on the volume, without a network.
 */
export async function volumeIsBlank(image: string, volume: string): Promise<boolean> {
    const r = await inThrowaway(image, "ls -A /var/lib/rabbitmq/mnesia 2>/dev/null | head -n 1", { volume });
    return r.stdout.trim() === "";
}

/** How a container is run: as the broker clients use (the default), or as an old broker being emptied. */
export interface RunOptions {
    /**
     * The old broker of a blue-green upgrade, restarted on its volume to be emptied: no
     * published port (the new broker has them), labelled as such, and node 1 also on the
     * move network under an alias, where the new broker's shovels reach it.
     */
    drain?: { moveNetwork?: { name: string; alias: string } };
    /** Only create the container (it is started later, by whoever needs it running). Default: start and wait until ready. */
    createOnly?: boolean;
}

/** The host ports a node publishes: [host port, container port, its settings key]. */
function publishedPorts(inputs: RabbitmqContainerInputs): Array<[number, number, string]> {
    const tls = inputs.tls;
    return [
        ...(tls?.only
            ? []
            : ([
                  [inputs.amqpPort, CONTAINER_PORTS.amqp, "amqpPort"],
                  [inputs.managementPort, CONTAINER_PORTS.management, "managementPort"],
              ] as Array<[number, number, string]>)),
        ...(tls
            ? ([
                  [tls.amqpsPort, CONTAINER_PORTS.amqps, "tls.amqpsPort"],
                  [tls.managementPort, CONTAINER_PORTS.managementTls, "tls.managementPort"],
              ] as Array<[number, number, string]>)
            : []),
        ...(inputs.metricsPort === null
            ? []
            : ([[inputs.metricsPort, CONTAINER_PORTS.metrics, "metricsPort"]] as Array<[number, number, string]>)),
    ];
}

/**
 * Refuses, naming the key, a port that cannot be published on the bind address. `ownedBy`:
 * the running node this one replaces, whose own ports are free once it stops (a swap of
 * amqpPort and managementPort is not refused). Checked before the old node is touched, so a
 * port taken by something else never leaves the broker stopped.
 */
async function refuseTakenPorts(
    inputs: RabbitmqContainerInputs,
    published: Array<[number, number, string]>,
    ownedBy?: RabbitmqContainerInputs,
): Promise<void> {
    // Whatever address the old node used: a port held on 127.0.0.1 cannot be bound on 0.0.0.0 either.
    const own = ownedBy ? publishedPorts(ownedBy).map(([p]) => p) : [];
    for (const [port, , key] of published) {
        if (typeof port !== "number" || own.includes(port)) continue;
        const problem = await portProblem(inputs.bindAddress, port);
        if (problem === "EADDRNOTAVAIL") throw new Error(bindAddressMissingMessage(inputs.name, inputs.bindAddress));
        if (!problem) continue;
        const untouched = ownedBy ? ". The running node was not touched." : "";
        const holder = problem === "EADDRINUSE" ? await ownContainerPublishing(inputs.labels, port) : undefined;
        if (holder)
            throw new Error(
                `the broker container ${inputs.name} cannot publish port ${port} (burrow:${key}): this stack's node ${holder} publishes it, and a cluster's nodes restart one at a time, each keeping its ports until its turn. ` +
                    `Move a cluster's ports by at least its number of nodes (node i uses the port + i - 1), or in two ups through free ports${untouched || "."}`,
            );
        throw new Error(portInUseMessage(inputs.name, inputs.bindAddress, port, key, problem) + untouched);
    }
}

/** The container of this stack (its owner label) that publishes a host port, if one does. */
async function ownContainerPublishing(labels: Record<string, string>, port: number): Promise<string | undefined> {
    const owner = labels[OWNER_LABEL];
    if (!owner) return undefined;
    const r = await docker([
        "ps",
        "--filter",
        `label=${OWNER_LABEL}=${owner}`,
        "--filter",
        `publish=${port}`,
        "--format",
        "{{.Names}}",
    ]).catch(() => undefined);
    return r?.stdout.trim().split("\n")[0] || undefined;
}

export async function run(inputs: RabbitmqContainerInputs, opts: RunOptions = {}): Promise<RabbitmqContainerOutputs> {
    await removeLeftover(inputs);
    const drain = opts.drain;
    const tls = drain ? null : inputs.tls;
    const published = drain ? [] : publishedPorts(inputs);
    await refuseTakenPorts(inputs, published);
    const started = new Date(Date.now() - 1000).toISOString();
    const t0 = Date.now();
    const labels = Object.entries({ ...inputs.labels, ...(drain ? { [ROLE_LABEL]: BLUE_DRAIN } : {}) }).flatMap(
        ([k, v]) => ["--label", `${k}=${v}`],
    );
    const host = inputs.bindAddress.includes(":") ? `[${inputs.bindAddress}]` : inputs.bindAddress;
    try {
        await docker(
            [
                "create",
                "--name",
                inputs.name,
                "--hostname",
                inputs.hostname,
                ...labels,
                // Nothing secret here: configuration, cookie and keys go in as files below.
                "--env",
                `RABBITMQ_NODENAME=${inputs.nodeName}`,
                ...(inputs.cluster
                    ? ["--network", inputs.cluster.network, "--network-alias", inputs.cluster.alias]
                    : []),
                "--memory",
                `${inputs.memoryLimitMb}m`,
                "--ulimit",
                `nofile=${inputs.openFileLimit}:${inputs.openFileLimit}`,
                "--restart",
                "unless-stopped",
                ...published.flatMap(([hostPort, containerPort]) => [
                    "--publish",
                    `${host}:${hostPort}:${containerPort}`,
                ]),
                "--volume",
                `${inputs.volume}:/var/lib/rabbitmq`,
                inputs.image,
            ],
            { timeoutMs: 120_000 },
        );
        // Configuration, cookie, key, certificates and the admin's definitions go in as files
        // (docker cp), never through the environment or argv.
        await copyIn(inputs.name, STAGED_DIR, [...configFiles(inputs), ["erlang.cookie", inputs.erlangCookie, 0o400]]);
        if (tls) {
            await copyIn(inputs.name, TLS_DIR, [
                ["ca.pem", tls.caCert, 0o644],
                ["cert.pem", tls.serverCert, 0o644],
                ["key.pem", tls.serverKey, 0o600],
            ]);
        }
        const boot = drain
            ? undefined
            : (inputs.bootDefinitions ?? (inputs.bootAdmin ? bootDefinitions(inputs.bootAdmin) : undefined));
        if (boot) await copyIn(inputs.name, "/etc/rabbitmq/burrow-boot", [["definitions.json", boot, 0o600]]);
        if (drain?.moveNetwork)
            await docker([
                "network",
                "connect",
                "--alias",
                drain.moveNetwork.alias,
                drain.moveNetwork.name,
                inputs.name,
            ]);
        if (opts.createOnly) return { ...inputs, containerId: "", readyMs: 0 };
        // Node 1's VM first (awaitFirstNode): for a first boot until it runs, for a node with
        // data at most a minute (nodes with data start together, as RabbitMQ wants them to).
        if (inputs.firstNode)
            await awaitFirstNode(
                inputs.firstNode,
                inputs.nodeName,
                inputs.readyTimeoutMs,
                inputs.rabbitmqVersion,
                volumeIsBlank(inputs.image, inputs.volume),
            );
        await docker(["start", inputs.name], { timeoutMs: 120_000 });
    } catch (e) {
        // A container that was created but could not start (a port taken since the check) is not left behind.
        await docker(["rm", "--force", inputs.name]).catch(() => undefined);
        const msg = (e as Error).message;
        if (/address already in use|port is already allocated/i.test(msg)) {
            // Taken between the check and the start: name the port Docker names, if it does.
            const taken = published.find(([p]) => msg.includes(`:${p}`)) ?? published[0];
            throw new Error(portInUseMessage(inputs.name, inputs.bindAddress, taken[0], taken[2]), { cause: e });
        }
        throw e;
    }
    await waitReady(inputs.name, started, inputs.readyTimeoutMs).catch(async (e) => {
        await docker(["rm", "--force", inputs.name]).catch(() => undefined);
        throw e;
    });
    const s = await state(inputs.name);
    return { ...inputs, containerId: s!.id, readyMs: Date.now() - t0 };
}

/** Runs a CLI tool of the node in its container. */
function inNode(container: string, args: string[], timeoutMs = 120_000) {
    return docker(["exec", container, ...args], { timeoutMs });
}

/**
 * Stops a node cleanly and removes its container (the volume stays). A cluster node's restart
 * policy goes first, or Docker would start the stopped node again; `rabbitmqctl stop` returns
 * once the node is down, so its quorum queue leaders moved to the nodes that stay rather than
 * the cluster noticing a dead node. Then `docker stop` (SIGTERM: the entrypoint runs
 * RabbitMQ's own start script, which stops the node; a stopped node returns at once) and
 * remove. `rm --force` alone is a SIGKILL: acked messages come back after the restart.
 */
export async function stopAndRemove(name: string, cluster: boolean): Promise<void> {
    if (cluster) {
        await docker(["update", "--restart", "no", name]).catch(() => undefined);
        await inNode(name, ["rabbitmqctl", "stop"]).catch(() => undefined);
    }
    await docker(["stop", "--time", "120", name], { timeoutMs: 180_000 });
    await docker(["rm", "--force", "--volumes", name]);
}

/** The cluster's members as this node sees them. */
async function clusterMembers(container: string): Promise<{ members: string[]; running: string[] }> {
    const r = await inNode(container, ["rabbitmqctl", "--quiet", "cluster_status", "--formatter", "json"], 60_000);
    const s = JSON.parse(r.stdout) as { disk_nodes?: string[]; ram_nodes?: string[]; running_nodes?: string[] };
    return { members: [...(s.disk_nodes ?? []), ...(s.ram_nodes ?? [])], running: s.running_nodes ?? [] };
}

/**
 * Waits until every member of the node's cluster runs (at most `timeoutMs`): a node restarted
 * while another is down would take quorum queues below their majority, and RabbitMQ refuses
 * to enable feature flags then (missing_clustered_nodes).
 */
async function awaitMembersRunning(container: string, timeoutMs: number, say: (step: string) => Promise<void>) {
    const deadline = Date.now() + timeoutMs;
    let said = false;
    for (;;) {
        const { members, running } = await clusterMembers(container);
        const down = members.filter((m) => !running.includes(m));
        if (down.length === 0) return;
        if (Date.now() > deadline)
            throw new Error(
                `${container} was not restarted, nothing was done to it: cluster members ${down.join(", ")} are not running, and a restart now could take quorum queues below their majority. Bring them back (or remove them with burrow:cluster), then run up again`,
            );
        if (!said) await say(`waits for ${down.join(", ")} to run before it restarts`);
        said = true;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * Makes the container again on its volume, as a rolling upgrade does each node (see the top
 * of this file). Every step is said in the up's output; a check that fails stops the up
 * before the node is touched.
 */
async function recreateInPlace(olds: RabbitmqContainerInputs, news: RabbitmqContainerInputs) {
    const say = (step: string) => engineInfo(`${news.nodeName} (${news.name}): ${step}`);
    const newVersion =
        !olds.rabbitmqVersion || plainVersion(olds.rabbitmqVersion) !== plainVersion(news.rabbitmqVersion);
    const s = await state(olds.name);
    // A port taken by something else is refused before the node is stopped (run() would find it after).
    await refuseTakenPorts(news, publishedPorts(news), s ? olds : undefined);
    let drained = false;
    // A member being made again in the same up (its container was gone) runs before this node stops.
    if (s?.running && olds.cluster) await awaitMembersRunning(olds.name, news.readyTimeoutMs, say);
    if (s?.running) {
        // A node booted by a later version refuses to start on data whose feature flags are off.
        await inNode(olds.name, ["rabbitmqctl", "enable_feature_flag", "all"]);
        await say("all stable feature flags enabled");
        if (newVersion) {
            await inNode(olds.name, ["rabbitmq-diagnostics", "check_local_alarms"]).catch((e: Error) => {
                throw new Error(
                    `${news.nodeName} has a resource alarm (memory or disk), so it is not upgraded now; it was not stopped. ` +
                        `Free memory or disk (burrow:memoryLimitMb), then run up again: ${e.message}`,
                    { cause: e },
                );
            });
            await say("no resource alarm");
        }
        if (olds.cluster) {
            const { members } = await clusterMembers(olds.name);
            if (members.length >= 3) {
                // Returns once every quorum queue with a member here keeps a majority without this node.
                await inNode(
                    olds.name,
                    ["rabbitmq-upgrade", "await_online_quorum_plus_one", "-t", "300"],
                    360_000,
                ).catch((e: Error) => {
                    throw new Error(
                        `${news.nodeName}: quorum queues would lose their majority if this node stopped now (fewer than quorum + 1 of their members are online); it was not stopped. Bring the cluster's other nodes up, then run up again: ${e.message}`,
                        { cause: e },
                    );
                });
                await say("quorum + 1 online for every quorum queue");
            } else await say(`a ${members.length}-node cluster: its quorum queues are unavailable while it restarts`);
            await inNode(olds.name, ["rabbitmq-upgrade", "drain"], 300_000);
            drained = true;
            await say("drained (maintenance mode: clients and queue leaders moved to the other nodes)");
        }
        await stopAndRemove(olds.name, olds.cluster !== null);
        await say("stopped cleanly");
    } else if (s) await docker(["rm", "--force", olds.name]);
    const outs = await run(news);
    await say(`replaced on its volume and running (${plainVersion(news.rabbitmqVersion)})`);
    if (news.cluster) {
        // Maintenance mode outlives the restart; a node that was never drained is revived harmlessly.
        await inNode(news.name, ["rabbitmq-upgrade", "revive"], 300_000);
        if (drained) await say("revived");
    }
    await inNode(news.name, ["rabbitmqctl", "enable_feature_flag", "all"]);
    await say("all stable feature flags enabled after the upgrade");
    return outs;
}

/** A cluster's in-place restarts (keyed by its network), one node at a time across the up. */
const restarts = new OneAtATime();

export const rabbitmqContainerProvider: pulumi.dynamic.ResourceProvider<
    RabbitmqContainerInputs,
    RabbitmqContainerOutputs
> = userFacingProvider({
    async check(wrappedOlds, wrappedNews) {
        // A new configuration for a running node is first shown to RabbitMQ's own config
        // loader, so a refused one fails here (at preview already) instead of after the
        // running node was stopped. Not at creation: there the node's boot checks it.
        const olds = unwrapSecrets(wrappedOlds ?? {}) as Partial<RabbitmqContainerInputs>;
        const news = unwrapSecrets(wrappedNews);
        if (olds.name && !hasUnknown(news) && checkedConfig(olds) !== checkedConfig(news)) {
            const extra = Object.keys(news.rabbitmqConf).length > 0 || news.advancedConfig !== "";
            const ownChanged =
                JSON.stringify(olds.rabbitmqConf ?? {}) !== JSON.stringify(news.rabbitmqConf) ||
                (olds.advancedConfig ?? "") !== news.advancedConfig;
            if (extra || ownChanged) await checkConfigInImage(news);
        }
        return { inputs: wrappedNews };
    },
    async create(inputs) {
        const outs = await run(inputs);
        return { id: outs.containerId, outs };
    },
    async diff(id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const { replaces, stored } = containerChanges(olds, news);
        // A new name or volume: another generation (blue-green), made before the old one is
        // deleted at the end of the up (the old broker keeps its data until it is emptied).
        const moved = (["name", "volume"] as const).filter((k) => olds[k] !== news[k]);
        if (moved.length > 0) return { changes: true, replaces: moved, deleteBeforeReplace: olds.name === news.name };
        // A container that was killed or removed behind burrow's back is made again.
        // (An in-place update keeps the resource's id, the first container's: the current one is in the outputs.)
        // Running, but not the container the state records: an up interrupted after it made the
        // node again. Restarted in place like any other change (drained, one node at a time in a
        // cluster), not deleted under a running cluster; another stack state's is left to create's refusal.
        const s = await state(olds.name);
        const madeElsewhere = !!s && s.id !== ((olds as Partial<RabbitmqContainerOutputs>).containerId ?? id);
        if (!s || !s.running || (madeElsewhere && !(await ownedForDelete("container", olds.name, olds.labels))))
            return { changes: true, replaces: [...replaces, "containerId"], deleteBeforeReplace: true };
        const restart = madeElsewhere ? [...replaces, "containerId"] : replaces;
        // Anything else: made again on the same volume by update, with the rolling upgrade's
        // checks. A restart is said in the preview, not only in the up.
        // A new port that something else holds: refused at preview, naming the key, while the node runs on.
        if (restart.length > 0 && !hasUnknown(news)) await refuseTakenPorts(news, publishedPorts(news), olds);
        if (restart.length > 0)
            await engineWarn(
                `${news.nodeName} (${news.name}) restarts: its container is made again on the same volume (changed: ${restart.join(", ")}${madeElsewhere ? "; the running container is not the one the state records, as after an interrupted up" : ""})`,
            );
        return { changes: restart.length + stored.length > 0, replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds) as RabbitmqContainerOutputs;
        // Only what diff calls "stored" changed (labels): the running container is kept, if it is
        // the one the state records.
        const current = await state(news.name);
        if (containerChanges(olds, news).replaces.length === 0 && current?.id === olds.containerId)
            return { outs: { ...news, containerId: olds.containerId, readyMs: olds.readyMs } };
        if (!news.cluster) return { outs: await recreateInPlace(olds, news) };
        // A cluster restarts one node at a time, and not at all after a node's restart failed.
        const outs = await restarts
            .run(news.cluster.network, news.nodeName, () => recreateInPlace(olds, news))
            .catch((e: Error) => {
                if (!(e instanceof EarlierJobFailed)) throw e;
                throw new Error(
                    `${news.nodeName} (${news.name}) was not restarted, nothing was done to it: a cluster restarts one node at a time, ` +
                        `and the restart of ${e.failed} failed first (its error is above); run up again once that is fixed`,
                );
            });
        return { outs };
    },
    async read(id, props) {
        const s = props ? await state(props.name) : undefined;
        return s && s.id === (props?.containerId ?? id) ? { id, props } : { id: "", props };
    },
    async delete(_id, props) {
        // Gone already, or another stack state's: left alone. The node stays a cluster member: a
        // replacement boots from the same volume; a node removed for good is forgotten when its
        // volume is deleted (docker-volume.ts).
        if (!(await ownedForDelete("container", props.name, props.labels))) return;
        await stopAndRemove(props.name, props.cluster !== null);
    },
});

export class RabbitmqContainer extends DynamicResource {
    declare readonly containerId: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    declare readonly readyMs: pulumi.Output<number>;
    constructor(
        name: string,
        args: { [K in keyof RabbitmqContainerInputs]: pulumi.Input<RabbitmqContainerInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { rabbitmqContainerProvider }),
            "RabbitmqContainer",
            name,
            { ...args, containerId: undefined, readyMs: undefined },
            {
                ...opts,
                additionalSecretOutputs: [
                    "erlangCookie",
                    "tls",
                    "bootAdmin",
                    "bootDefinitions",
                    "rabbitmqConf",
                    "advancedConfig",
                    "envConfig",
                ],
            },
        );
    }
}
