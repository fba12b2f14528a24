// Dynamic provider: runs the broker container and returns only when RabbitMQ reports
// "Starting broker... completed" (its own readiness signal), so nothing talks to a
// half-booted node. Its configuration, cookie and keys go in as files, never through the
// environment; a new configuration is checked by RabbitMQ's own loader before the running
// node is replaced. The memory watermark and disk limit are LiveSettings' to change.
import * as pulumi from "@pulumi/pulumi";
import { ChildProcess, spawn } from "child_process";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BootAdmin, bootDefinitions } from "../../lib/boot-definitions";
import { claim, ownedForDelete } from "../../lib/docker-ownership";
import { CommandError, docker } from "../../lib/exec";
import { bindAddressMissingMessage, portInUseMessage } from "../../lib/errors";
import {
    CONTAINER_PORTS,
    DiskFreeLimit,
    STAGED_DIR,
    TLS_DIR,
    envConf,
    liveConf,
    rabbitmqConf,
} from "../../lib/node-config";
import { unwrapSecrets } from "../../lib/secrets";

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
    try {
        await new Promise<void>((resolve, reject) => {
            const last = (n: number) => log.trim().split("\n").slice(-n).join("\n");
            const check = (chunk: Buffer) => {
                log += chunk.toString("utf8");
                if (READY_LINE.test(log)) return resolve();
                // It restarts (restart policy) and fails the same way again: say so now, not at the timeout.
                if (/BOOT FAILED/.test(log)) {
                    const lines = log.split("\n");
                    const at = lines.findIndex((l) => /BOOT FAILED/.test(l));
                    reject(
                        new Error(
                            `RabbitMQ in the broker container ${name} failed to boot:\n${lines.slice(Math.max(0, at - 6), at + 4).join("\n")}\n(see \`docker logs ${name}\`)`,
                        ),
                    );
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

/** What the config check looks at: rabbitmq.conf (the live settings are not in it), advanced.config, the image. */
function checkedConfig(i: Partial<RabbitmqContainerInputs>): string {
    try {
        return JSON.stringify([containerConf(i as RabbitmqContainerInputs), i.advancedConfig ?? "", i.image]);
    } catch {
        return ""; // a state written before these inputs existed
    }
}

/** Pulumi's placeholder for a value not known yet (a preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const hasUnknown = (v: unknown): boolean =>
    v === UNKNOWN || (typeof v === "object" && v !== null && Object.values(v).some(hasUnknown));

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
        await docker(["run", "--rm", "-i", "--network", "none", "--entrypoint", "sh", i.image, "-c", script], {
            input,
            timeoutMs: 120_000,
        });
    } catch (e) {
        const out = `${(e as CommandError).stdout ?? ""}${(e as CommandError).stderr ?? ""}`.trim();
        throw new Error(
            `RabbitMQ's own config loader refuses the new configuration (burrow:rabbitmqConf / burrow:advancedConfig); ` +
                `nothing was changed, the running node keeps its configuration:\n${out || (e as Error).message}`,
            { cause: e },
        );
    }
}

/** A container of this name left by an interrupted `pulumi up` is removed; another stack state's is an error. */
async function removeLeftover(inputs: RabbitmqContainerInputs): Promise<void> {
    if (await claim("container", inputs.name, inputs.labels)) await docker(["rm", "--force", inputs.name]);
}

/**
 * Which input changes replace the container and which are only stored. Labels are only
 * stored (docker cannot relabel a running container; a replacement restarts the broker, so
 * a new label must not cause one): the state's labels are what delete checks ownership
 * with. bootAdmin only matters when the container is made; the readiness timeout is how
 * long to wait, not what runs. The watermark and disk limit too only matter when it is made:
 * later changes go to the running node (LiveSettings), never a reason for a restart.
 */
export function containerChanges(
    olds: RabbitmqContainerInputs,
    news: RabbitmqContainerInputs,
): { replaces: string[]; stored: string[] } {
    // States written before leaving the cluster moved to the volume carry cluster.forgetVia: no longer an input.
    const oldCluster = olds.cluster as (RabbitmqContainerInputs["cluster"] & { forgetVia?: string }) | null;
    const { forgetVia: _gone, ...cluster } = oldCluster ?? { forgetVia: undefined };
    const was = { ...olds, cluster: oldCluster ? cluster : null } as RabbitmqContainerInputs;
    return {
        replaces: changedInputs(was, news, [
            "readyTimeoutMs",
            "bootAdmin",
            "labels",
            "memoryHighWatermark",
            "diskFreeLimit",
        ]),
        stored: changedInputs(was, news, ["readyTimeoutMs", "bootAdmin"]).filter((k) => k === "labels"),
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

async function run(inputs: RabbitmqContainerInputs): Promise<RabbitmqContainerOutputs> {
    await removeLeftover(inputs);
    const tls = inputs.tls;
    const published: Array<[number, number, string]> = [
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
    for (const [port, , key] of published) {
        const problem = await portProblem(inputs.bindAddress, port);
        if (problem === "EADDRNOTAVAIL") throw new Error(bindAddressMissingMessage(inputs.name, inputs.bindAddress));
        if (problem) throw new Error(portInUseMessage(inputs.name, inputs.bindAddress, port, key, problem));
    }
    const started = new Date(Date.now() - 1000).toISOString();
    const t0 = Date.now();
    const labels = Object.entries(inputs.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
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
        if (inputs.bootAdmin)
            await copyIn(inputs.name, "/etc/rabbitmq/burrow-boot", [
                ["definitions.json", bootDefinitions(inputs.bootAdmin), 0o600],
            ]);
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
        // A container that was killed or removed behind burrow's back is made again.
        const s = await state(olds.name);
        if (replaces.length === 0 && (!s || !s.running || s.id !== id)) replaces.push("containerId");
        return { changes: replaces.length + stored.length > 0, replaces, deleteBeforeReplace: true };
    },
    async update(_id, wrappedOlds, news) {
        // Only what diff calls "stored" changed (labels): the running container is kept.
        const olds = unwrapSecrets(wrappedOlds) as RabbitmqContainerOutputs;
        return { outs: { ...news, containerId: olds.containerId, readyMs: olds.readyMs } };
    },
    async read(id, props) {
        const s = props ? await state(props.name) : undefined;
        return s && s.id === id ? { id, props } : { id: "", props };
    },
    async delete(_id, props) {
        // Gone already, or another stack state's: left alone.
        if (!(await ownedForDelete("container", props.name, props.labels))) return;
        // A cluster node shuts down cleanly (its quorum queue leaders move to the nodes that
        // stay, rather than the cluster noticing a dead node). `docker stop` would not do: PID 1
        // is a shell that ignores SIGTERM, so it waits out its timeout and kills. Restart policy
        // off first, or Docker would start the stopped node again.
        // The node stays a member: a replacement boots from the same volume; a node removed
        // for good is forgotten when its volume is deleted (docker-volume.ts).
        if (props.cluster) {
            await docker(["update", "--restart", "no", props.name]).catch(() => undefined);
            await docker(["exec", props.name, "rabbitmqctl", "stop"], { timeoutMs: 120_000 }).catch(() => undefined);
        }
        // A clean stop (SIGTERM: the entrypoint runs RabbitMQ's own start script, which stops the
        // node; a stopped cluster node returns at once), then remove. `rm --force` alone is a
        // SIGKILL: acked messages come back after the restart.
        await docker(["stop", "--time", "120", props.name], { timeoutMs: 180_000 });
        await docker(["rm", "--force", "--volumes", props.name]);
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
                    "rabbitmqConf",
                    "advancedConfig",
                    "envConfig",
                ],
            },
        );
    }
}
