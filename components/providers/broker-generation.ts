// Dynamic provider: which generation of a Docker broker runs, and the switch from one to the
// next when its RabbitMQ moves to a new series (a blue-green upgrade, lib/upgrade-plan.ts).
//
// Every change of the broker's version is planned here first, at preview: a downgrade is
// refused (the preview fails, nothing changed), a point release is said to be upgraded in
// place (the containers do it, rabbitmq-container.ts), a new series is said to be blue-green.
// The plan is made from what runs (the running node's image labels), so it is right even
// when the state is older than the change.
//
// A blue-green switch, in `update`, before the new broker exists:
//   1. the old broker's (blue's) definitions are exported from its node 1
//      (`rabbitmqctl export_definitions`): users with their password hashes, vhosts,
//      permissions, policies, queues, exchanges, bindings;
//   2. blue's nodes stop cleanly and start again on their volumes without published ports
//      (labelled burrow.role=blue-drain; node 1 also on the stack's move network);
//   3. the output `generation` names the new broker's (green's) Docker objects
//      (docker-names.ts), and `bootDefinitions` is what green's node 1 imports at its first
//      boot. Pulumi then makes green's containers (which take over the published ports),
//      the topology and membership resources point at them, BlueGreenMove moves every
//      queue's messages from blue to green and retires blue's containers, and at the end of
//      the up Pulumi deletes blue's container and volume resources (replaced, create before
//      delete: never before the move is done).
// Each step looks at what exists first, so an interrupted switch resumes on the next up.
//
// The `generation` input is only what the preview shows for a broker this resource does not
// know yet (a new stack, or one made before it existed): Pulumi previews a dynamic
// resource's outputs as its inputs. It is unknown while the broker image changes, so a
// blue-green preview shows green's objects as new; diff reports a change only for a
// blue-green switch, so otherwise the stored generation is what everything is named from.
import * as pulumi from "@pulumi/pulumi";
import { BLUE_ALIAS, ExportedDefinitions, definitionsForGreen } from "../../lib/blue-green";
import { claim, ownedForDelete } from "../../lib/docker-ownership";
import { DynamicResource, isUnknown, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { engineInfo, engineWarn } from "../../lib/engine-log";
import { docker } from "../../lib/exec";
import { unwrapSecrets } from "../../lib/secrets";
import { dockerOpenFileCap } from "../../lib/host-limits";
import { UpgradePlan, VersionSide, generationOf, planUpgrade } from "../../lib/upgrade-plan";
import { NODE_HOSTNAME, clusterHostname, generationNames } from "../docker-names";
import { RECOMMENDED_OPEN_FILES } from "../settings/node";
import { cachedImage } from "./docker-image";
import {
    BLUE_DRAIN,
    ROLE_LABEL,
    RabbitmqContainerInputs,
    inspectContainer,
    run,
    stopAndRemove,
} from "./rabbitmq-container";

export interface BrokerGenerationInputs {
    /** The Docker names' prefix (docker-names.ts), without a generation. */
    prefix: string;
    labels: Record<string, string>;
    /** Cluster nodes; 0: a single node. */
    nodes: number;
    /** Debian release and base image the new image is built from (for the plan's words). */
    release: string;
    baseImage: string;
    /** What the release brings (settings' release table): the preview's version while the image is being built. */
    expectedVersion: string;
    /** The broker image's content tag: when it was built before, the preview reads the exact version from it. */
    imageCacheTag: string;
    /** The image the broker runs and its RabbitMQ version (from BrokerImage). */
    imageId: string;
    rabbitmqVersion: string;
    /** What blue's nodes restart with while they are emptied. */
    memoryLimitMb: number;
    memoryHighWatermark: number;
    /** Secret. */
    erlangCookie: string;
    /** What the preview names a broker this resource does not know yet with (see the top of this file). */
    generation: string;
}

/** The old broker of a blue-green upgrade, while it is emptied. */
export interface BlueBroker {
    generation: string;
    version: string;
    /** Its nodes' containers, node 1 first. */
    containers: string[];
    cluster: boolean;
    /** Where green's shovels reach blue's node 1 (its alias there: lib/blue-green.ts BLUE_ALIAS). */
    moveNetwork: string;
    /** Green's version. */
    to: string;
}

export interface BrokerGenerationOutputs extends BrokerGenerationInputs {
    /** "" or `-v<series>`: the suffix of every Docker name of the broker that runs. */
    generation: string;
    /** What that broker runs. */
    runningVersion: string;
    /** The plan of the last change ("none", "in place", "blue-green"). */
    plan: string;
    /** Secret: blue's definitions, imported by green's node 1 at its first boot; null: none. */
    bootDefinitions: string | null;
    blue: BlueBroker | null;
}

const nodeContainers = (prefix: string, generation: string, nodes: number) => {
    const names = generationNames(prefix, generation);
    return nodes > 0 ? Array.from({ length: nodes }, (_, k) => names.container(k + 1)) : [names.container()];
};

export const moveNetworkOf = (prefix: string) => `${prefix}-move`;

/** What runs now in a generation: node 1's container, its image's version, whether it is blue being emptied. */
async function running(prefix: string, generation: string, nodes: number) {
    const containers = nodeContainers(prefix, generation, nodes);
    const c = await inspectContainer(containers[0]);
    if (!c) return undefined;
    const v = await cachedImage(c.image);
    return v ? { ...c, version: v.rabbitmq, containers } : undefined;
}

/** The stack's broker containers under this prefix, by generation and node index (0: a single node). */
async function stackContainers(
    prefix: string,
    labels: Record<string, string>,
): Promise<Array<{ generation: string; index: number; image: string; role: string }>> {
    const r = await docker([
        "ps",
        "--all",
        "--filter",
        `label=burrow.stack=${labels["burrow.stack"]}`,
        "--format",
        `{{.Names}}\t{{.Image}}\t{{.Label "${ROLE_LABEL}"}}\t{{.Label "burrow.owner"}}`,
    ]);
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const name = new RegExp(`^${escaped}(-v\\d+\\.\\d+)?(?:-(\\d+))?$`);
    const owner = labels["burrow.owner"];
    return r.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("\t"))
        .flatMap(([n, image, role, o]) => {
            const m = name.exec(n);
            if (!m || (o && owner && o !== owner)) return [];
            return [{ generation: m[1] ?? "", index: Number(m[2] ?? 0), image, role }];
        });
}

/** How many cluster nodes a generation has in Docker (0: a single node), or undefined when it has none. */
async function nodesOf(prefix: string, labels: Record<string, string>, generation: string) {
    const mine = (await stackContainers(prefix, labels)).filter((c) => c.generation === generation);
    return mine.length ? Math.max(...mine.map((c) => c.index)) : undefined;
}

/**
 * The broker that runs now, found by its containers' names and labels alone (no state): the
 * generation whose node 1 serves, else one being emptied (an unfinished blue-green upgrade).
 */
export async function runningNow(
    prefix: string,
    labels: Record<string, string>,
): Promise<{ generation: string; version: string; role: string } | undefined> {
    const found = (await stackContainers(prefix, labels)).filter((c) => c.index <= 1);
    const node1 = found.find((f) => f.role !== BLUE_DRAIN) ?? found[0];
    if (!node1) return undefined;
    const v = await cachedImage(node1.image);
    return v ? { generation: node1.generation, version: v.rabbitmq, role: node1.role } : undefined;
}

/** The version the new program runs: the built image's, else the cached image's, else the release's (assumed). */
export async function target(
    news: Pick<
        BrokerGenerationInputs,
        "release" | "baseImage" | "rabbitmqVersion" | "imageCacheTag" | "expectedVersion"
    >,
): Promise<VersionSide> {
    const side = { release: news.release, baseImage: news.baseImage };
    if (news.rabbitmqVersion && !isUnknown(news.rabbitmqVersion)) return { ...side, version: news.rabbitmqVersion };
    const cached = await cachedImage(news.imageCacheTag);
    if (cached) return { ...side, version: cached.rabbitmq };
    return { ...side, version: news.expectedVersion, assumed: true };
}

interface Planned {
    plan: UpgradePlan;
    /** The generation that runs (or is being emptied), its cluster size (0: one node), and what of it runs. */
    generation: string;
    nodes: number;
    now?: Awaited<ReturnType<typeof running>>;
}

/** The plan from what runs to what the program asks for; refused plans throw, naming the key. */
async function planned(olds: Partial<BrokerGenerationOutputs>, news: BrokerGenerationInputs): Promise<Planned> {
    const generation = olds.generation ?? "";
    // The cluster's size as its containers show it (the state's may be older than a scaling).
    const nodes = (await nodesOf(news.prefix, news.labels, generation)) ?? news.nodes;
    const now = await running(news.prefix, generation, nodes);
    const fromVersion = now?.version ?? olds.runningVersion;
    const from: VersionSide | undefined = fromVersion
        ? { version: fromVersion, release: olds.release, baseImage: olds.baseImage }
        : undefined;
    const plan = planUpgrade({ target: "docker", from, to: await target(news) });
    if (plan.kind === "refused") throw new Error(plan.message);
    if (now?.role === BLUE_DRAIN && plan.kind !== "blue-green")
        throw new Error(
            `a blue-green upgrade from RabbitMQ ${now.version} is not finished: the old broker runs without its ports and ` +
                `the new one is not made yet. Set burrow:debianRelease (or burrow:baseImage) back to what started it and run up again to finish it.`,
        );
    if (plan.kind === "blue-green" && nodes !== news.nodes)
        throw new Error(
            `${plan.key} and burrow:cluster changed together: a blue-green upgrade keeps the cluster's size. Change one, run up, then the other.`,
        );
    return { plan, generation, nodes, now };
}

/** Waits until the node in a container answers (it was just started). */
export async function waitNode(container: string, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const ok = await docker(["exec", container, "rabbitmq-diagnostics", "-q", "check_running"], {
            timeoutMs: 60_000,
        }).then(
            () => true,
            () => false,
        );
        if (ok) return;
        if (Date.now() > deadline)
            throw new Error(`the node in ${container} did not start within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 2000));
    }
}

/** Blue's definitions from its node 1 (serving or being emptied). */
async function exportDefinitions(container: string): Promise<ExportedDefinitions> {
    const r = await docker(["exec", container, "rabbitmqctl", "export_definitions", "-", "--format", "json", "-q"], {
        timeoutMs: 120_000,
    });
    const text = r.stdout.slice(r.stdout.indexOf("{"));
    return JSON.parse(text) as ExportedDefinitions;
}

/** How blue's node `k` (0-based) runs while it is emptied: on its volume and network, without ports. */
function drainInputs(
    news: BrokerGenerationInputs,
    generation: string,
    nodes: number,
    k: number,
    image: string,
    version: string,
): RabbitmqContainerInputs {
    const names = generationNames(news.prefix, generation);
    const index = nodes > 0 ? k + 1 : undefined;
    const hostname = index ? clusterHostname(index) : NODE_HOSTNAME;
    return {
        name: names.container(index),
        image,
        hostname,
        nodeName: `rabbit@${hostname}`,
        bindAddress: "127.0.0.1",
        amqpPort: 0,
        managementPort: 0,
        volume: names.volume(index),
        metricsPort: null,
        memoryLimitMb: news.memoryLimitMb,
        memoryHighWatermark: news.memoryHighWatermark,
        // While it is emptied the old broker runs with the production defaults, not the user's
        // passthrough configuration: it serves no client, only the new broker's shovels.
        diskFreeLimit: { relative: 1.0 },
        openFileLimit: Math.min(RECOMMENDED_OPEN_FILES, dockerOpenFileCap(image) ?? RECOMMENDED_OPEN_FILES),
        partitionHandling: index ? "pause_minority" : "",
        rabbitmqConf: {},
        advancedConfig: "",
        envConfig: {},
        erlangCookie: news.erlangCookie,
        labels: news.labels,
        readyTimeoutMs: 300_000,
        cluster: index
            ? {
                  network: names.network,
                  alias: hostname,
                  peers: Array.from({ length: nodes }, (_, j) => `rabbit@${clusterHostname(j + 1)}`),
              }
            : null,
        firstNode: null,
        tls: null,
        bootAdmin: null,
        bootDefinitions: null,
        rabbitmqVersion: version,
    };
}

/** The switch (see the top of this file); every step first looks at what exists, so a rerun resumes. */
async function switchToGreen(olds: BrokerGenerationOutputs, news: BrokerGenerationInputs, p: Planned) {
    const say = (m: string) => engineInfo(`blue-green: ${m}`);
    const nodes = p.nodes;
    const containers = nodeContainers(news.prefix, p.generation, nodes);
    const live = await Promise.all(containers.map((c) => inspectContainer(c)));
    const image = live.find((c) => c)?.image ?? olds.imageId;
    const from = p.plan.from!;
    let exported: ExportedDefinitions | undefined;
    const serving = live.some((c) => c && c.role !== BLUE_DRAIN);
    if (serving) {
        if (!live[0]?.running) {
            await docker(["start", containers[0]]);
            await waitNode(containers[0]);
        }
        exported = await exportDefinitions(containers[0]);
        await say(`exported the definitions of ${containers[0]} (RabbitMQ ${from})`);
        // Node N first, node 1 last: node 1 is the first to come back.
        for (let k = containers.length - 1; k >= 0; k--)
            if (live[k] && live[k]!.role !== BLUE_DRAIN) await stopAndRemove(containers[k], nodes > 0);
        await say(`stopped ${containers.join(", ")}: the published ports are free for the new broker`);
    }
    const moveNetwork = moveNetworkOf(news.prefix);
    if (!(await claim("network", moveNetwork, news.labels)))
        await docker([
            "network",
            "create",
            ...Object.entries(news.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
            moveNetwork,
        ]);
    // Blue again on its volumes, without published ports; started by BlueGreenMove once green
    // has the ports (its boot is not part of the clients' wait). One that was never started
    // may be unfinished (an up interrupted between its create and its files or its alias on
    // the move network, where green's shovels find it): it is made again.
    const now = await Promise.all(containers.map((c) => inspectContainer(c)));
    for (const k of containers.keys())
        if (now[k]?.role !== BLUE_DRAIN || now[k]!.neverStarted)
            await run(drainInputs(news, p.generation, nodes, k, image, from), {
                drain: { moveNetwork: k === 0 ? { name: moveNetwork, alias: BLUE_ALIAS } : undefined },
                createOnly: true,
            });
    await say(`${containers.join(", ")} made again on their volumes without published ports, to be emptied`);
    if (!exported) {
        // Resumed after the stop: blue's definitions come from its node 1 (every node started: a
        // cluster node waits for its peers).
        for (const c of containers) await docker(["start", c]);
        await waitNode(containers[0]);
    }
    exported ??= await exportDefinitions(containers[0]);
    const green = definitionsForGreen(exported, p.plan.to);
    for (const d of green.dropped) await engineWarn(`blue-green: not carried to RabbitMQ ${p.plan.to}: ${d}`);
    return {
        bootDefinitions: JSON.stringify(green.document),
        blue: {
            generation: p.generation,
            version: from,
            containers,
            cluster: nodes > 0,
            moveNetwork,
            to: p.plan.to,
        } satisfies BlueBroker,
    };
}

export const brokerGenerationProvider: pulumi.dynamic.ResourceProvider<
    BrokerGenerationInputs,
    BrokerGenerationOutputs
> = userFacingProvider({
    async create(inputs) {
        // A broker made before this resource existed runs under the names of generation "".
        const p = await planned({}, inputs);
        if (p.plan.kind === "blue-green") {
            await engineWarn(p.plan.message);
            const olds = {
                ...inputs,
                generation: "",
                runningVersion: p.plan.from!,
                plan: "none",
            } as BrokerGenerationOutputs;
            const sw = await switchToGreen(olds, inputs, p);
            return {
                id: "generation",
                outs: {
                    ...inputs,
                    ...sw,
                    generation: generationOf(p.plan.to),
                    runningVersion: p.plan.to,
                    plan: "blue-green",
                },
            };
        }
        const version = p.now?.version ?? inputs.rabbitmqVersion;
        return {
            id: "generation",
            outs: {
                ...inputs,
                generation: "",
                runningVersion: version,
                plan: p.plan.kind,
                bootDefinitions: null,
                blue: null,
            },
        };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const p = await planned(olds, news);
        if (p.plan.message) await engineWarn(p.plan.message);
        // Only a switch is a change: everything else is named after the stored generation.
        return { changes: p.plan.kind === "blue-green", replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        // Planned again with the image now built: its real version.
        const p = await planned(olds, news);
        if (p.plan.kind !== "blue-green") return { outs: { ...olds, plan: p.plan.kind } };
        const sw = await switchToGreen(olds, news, p);
        return {
            outs: {
                ...news,
                ...sw,
                generation: generationOf(p.plan.to),
                runningVersion: p.plan.to,
                plan: "blue-green",
            },
        };
    },
    async read(id, props) {
        return { id, props };
    },
    async delete(_id, props) {
        // A destroy during a blue-green upgrade: blue's containers are pending deletes of their
        // own resources; the move network is this resource's.
        const net = moveNetworkOf(props.prefix);
        if (await ownedForDelete("network", net, props.labels)) {
            for (const c of props.blue?.containers ?? [])
                await stopAndRemove(c, props.blue!.cluster).catch(() => undefined);
            await docker(["network", "rm", net]).catch(() => undefined);
        }
    },
});

/** Which generation of the Docker broker runs; plans every version change and makes the blue-green switch. */
export class BrokerGeneration extends DynamicResource {
    declare readonly generation: pulumi.Output<string>;
    declare readonly bootDefinitions: pulumi.Output<string | null>;
    declare readonly blue: pulumi.Output<BlueBroker | null>;
    declare readonly runningVersion: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof BrokerGenerationInputs]: pulumi.Input<BrokerGenerationInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { brokerGenerationProvider }),
            "BrokerGeneration",
            name,
            { ...args, runningVersion: undefined, plan: undefined, bootDefinitions: undefined, blue: undefined },
            { ...opts, additionalSecretOutputs: ["erlangCookie", "bootDefinitions"] },
        );
    }
}
