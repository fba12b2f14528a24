// parseSettings(): raw input (stack config or a library user's args) -> one validated,
// typed BrokerSettings with every default filled in. Every problem is collected before
// any is reported, each naming its key (problems.ts).
import { BrokerArgs } from "./args";
import { clusterSettings, dockerNodePorts } from "./cluster";
import { KNOWN_KEYS } from "./keys";
import { CONFIG_NAMESPACE, InputSource, Problems } from "./problems";
import { AMQP_PORT, DEBIAN_RELEASES, MANAGEMENT_PORT, QueueType, TARGETS } from "./rabbitmq";
import {
    advancedConfig,
    diskFreeLimit,
    envConfigEntries,
    metricsPort as metricsPortOf,
    openFileLimit,
    partitionHandling,
    rabbitmqConfEntries,
} from "./node";
import { aptSource, countOfHosts, sshSettings } from "./ssh";
import { tlsSettings } from "./tls";
import {
    checkFederationRefs,
    federationUpstream,
    federationUpstreamSet,
    globalParameters,
    operatorPolicy,
    shovel,
    superStream,
    superStreamParts,
    vhostObjects,
    withObjectPlugins,
} from "./objects";
import {
    binding,
    declaredIndex,
    exchange,
    permission,
    pluginList,
    policy,
    queue,
    tags,
    targetBroker,
    user,
} from "./topology";
import { BrokerSettings, UserSettings } from "./types";
import {
    address,
    bool,
    duplicates,
    fraction,
    imageRef,
    integer,
    listOf,
    name,
    oneOf,
    parseJsonish,
    parseScalar,
    password,
    port,
    show,
} from "./values";

/** Raw config: key (without namespace) -> value as Pulumi config holds it (string or parsed JSON). */
export type RawConfig = Record<string, unknown>;

/** The key that two objects share when they are the same object (vhost and name). */
const sameObject = (o: { vhost: string; name: string }): [string, string] => [
    JSON.stringify([o.vhost, o.name]),
    `"${o.name}" in vhost "${o.vhost}"`,
];

/**
 * Validates raw input and returns the typed settings with every default filled in.
 * Throws SettingsError listing every problem, each naming its key: as `burrow:<key>` for
 * stack config (the default), or as the argument path for a library user's args.
 */
export function parseSettings(
    input: BrokerArgs | RawConfig,
    source: InputSource = "config",
    component?: string,
    /** Stack config only: the keys set with --secret; keys that hold secrets must be among them. */
    secretKeys?: ReadonlySet<string>,
): BrokerSettings {
    const raw = input as RawConfig;
    const p = new Problems(source);
    for (const key of Object.keys(raw)) {
        if (!(KNOWN_KEYS as string[]).includes(key) && raw[key] !== undefined) {
            p.add(key, `is not a burrow setting; known keys: ${KNOWN_KEYS.join(", ")}`);
        }
    }
    const target = oneOf(p, "target", raw.target ?? "docker", TARGETS);
    const debianRelease = oneOf(p, "debianRelease", raw.debianRelease ?? "trixie", DEBIAN_RELEASES);
    const baseImage = imageRef(p, "baseImage", raw.baseImage ?? `burrow/debian:${debianRelease ?? "trixie"}`);
    // The plugins shovels and federation need are enabled by themselves (settings/objects.ts),
    // before any check that asks which plugins are on (a policy's federation keys).
    const declaredAny = (v: unknown) => {
        const x = parseJsonish(v);
        return Array.isArray(x) ? x : [];
    };
    const plugins = withObjectPlugins(
        pluginList(p, raw.plugins, raw.metricsPort === false || raw.metricsPort === "false"),
        declaredAny(raw.shovels),
        declaredAny(raw.federationUpstreams),
    );
    const bindAddress = address(p, "bindAddress", raw.bindAddress ?? "127.0.0.1");
    const amqpPort = port(p, "amqpPort", raw.amqpPort ?? AMQP_PORT);
    const managementPort = port(p, "managementPort", raw.managementPort ?? MANAGEMENT_PORT);
    if (amqpPort !== undefined && amqpPort === managementPort) {
        p.add("managementPort", `equals ${p.ref("amqpPort")} (${amqpPort}); the two listeners need different ports`);
    }
    const memoryLimitMb = integer(p, "memoryLimitMb", raw.memoryLimitMb ?? 1024, 256, 1024 * 1024, "megabytes");
    const memoryHighWatermark = fraction(p, "memoryHighWatermark", raw.memoryHighWatermark ?? 0.6);
    if (target === "ssh" && raw.memoryLimitMb !== undefined)
        p.add(
            "memoryLimitMb",
            "applies to the Docker target (the container's limit); on SSH hosts RabbitMQ is told the host's memory, or its cgroup limit where lower; remove it",
        );
    const openFiles = openFileLimit(p, raw.openFileLimit);
    const diskLimit = diskFreeLimit(p, raw.diskFreeLimit);
    const metricsPort = metricsPortOf(p, raw.metricsPort, managementPort);
    if (metricsPort && (metricsPort === amqpPort || metricsPort === managementPort))
        p.add(
            "metricsPort",
            `is ${metricsPort}, also ${p.ref(metricsPort === amqpPort ? "amqpPort" : "managementPort")}; the Prometheus endpoint needs a port of its own`,
        );
    const rabbitmqConf = rabbitmqConfEntries(p, raw.rabbitmqConf);
    const advanced = advancedConfig(p, raw.advancedConfig);
    const envConfig = envConfigEntries(p, raw.envConfig);
    const keepData = bool(p, "keepData", raw.keepData ?? false);
    const removeGuest = bool(p, "removeGuest", raw.removeGuest ?? true);

    const warnings: string[] = [];
    // What the topology is checked against: the RabbitMQ the release (or a pinned version) brings.
    const broker = targetBroker(p, debianRelease, raw.rabbitmqVersion, plugins, warnings);
    // On the SSH target a cluster's node count is the number of hosts in `ssh.hosts`.
    const sshHostCount = target === "ssh" ? countOfHosts(raw.ssh) : undefined;
    if (raw.cluster !== undefined && target === "ssh" && sshHostCount === undefined) {
        p.add(
            "cluster",
            `on the SSH target needs the hosts as a list in ${p.ref("ssh.hosts")} ([{"host": "...", "hostKey": "..."}, ...]) instead of ${p.ref("ssh.host")}; the node count is their number`,
        );
    }
    const cluster = raw.cluster === undefined ? undefined : clusterSettings(p, raw.cluster, warnings, sshHostCount);
    const partitions = partitionHandling(p, raw.partitionHandling, cluster?.nodes, p.ref("cluster"));
    if (cluster && raw.tls !== undefined)
        p.add("cluster", `cannot be combined with ${p.ref("tls")} yet; remove one of them`);
    if (cluster && target === "docker" && amqpPort !== undefined && managementPort !== undefined) {
        const first = dockerNodePorts({ amqpPort, managementPort, metricsPort: metricsPort ?? null }, 1);
        const last = dockerNodePorts({ amqpPort, managementPort, metricsPort: metricsPort ?? null }, cluster.nodes);
        const highest = Math.max(last.amqpPort, last.managementPort, last.metricsPort ?? 0);
        if (highest > 65535)
            p.add(
                "cluster.nodes",
                `needs ports up to ${highest}; node i uses amqpPort+i-1, managementPort+i-1 and metricsPort+i-1`,
            );
        const overlap = (a: number, b: number) => a <= b + cluster.nodes - 1 && b <= a + cluster.nodes - 1;
        if (overlap(first.amqpPort, first.managementPort))
            p.add(
                "managementPort",
                `range ${first.managementPort}-${last.managementPort} overlaps the AMQP range ${first.amqpPort}-${last.amqpPort} of the ${cluster.nodes} nodes; move one of them`,
            );
        for (const [other, at] of [
            ["amqpPort", first.amqpPort],
            ["managementPort", first.managementPort],
        ] as const)
            if (first.metricsPort && first.metricsPort !== at && overlap(first.metricsPort, at))
                p.add(
                    "metricsPort",
                    `range ${first.metricsPort}-${last.metricsPort} overlaps the ${p.ref(other)} range ${at}-${at + cluster.nodes - 1} of the ${cluster.nodes} nodes; move one of them`,
                );
    }
    const defaultQueueType: QueueType = cluster ? "quorum" : "classic";

    const vhostDetails = vhostObjects(p, raw.vhosts);
    const vhosts = vhostDetails.map((v) => v.name);
    duplicates(
        p,
        "vhosts",
        vhosts.map((v) => [v, v]),
    );
    const knownVhosts = new Set(["/", ...vhosts]);

    const adminName = name(p, "adminUser", raw.adminUser ?? "admin", "user name");
    const adminPassword = password(p, "adminPassword", raw.adminPassword);
    const adminTags = tags(p, "adminTags", raw.adminTags ?? ["administrator"]);
    // burrow declares vhosts, users and the topology as this user: that takes administrator.
    if (adminTags && !adminTags.includes("administrator"))
        p.add(
            "adminTags",
            `is ${show(adminTags)}; it must include "administrator": burrow declares vhosts, users and the topology as this user`,
        );
    const adminPermission = permission(p, "adminPermissions", raw.adminPermissions ?? {}, knownVhosts);
    const admin: UserSettings = {
        name: adminName ?? "admin",
        password: adminPassword as UserSettings["password"],
        tags: adminTags,
        permissions: adminPermission ? [adminPermission] : [],
        topicPermissions: [],
    };

    const users = listOf(p, "users", raw.users, (k, u) => user(p, k, u, knownVhosts, admin.name));
    duplicates(
        p,
        "users",
        users.map((u) => [u.name, u.name]),
    );

    const smokeQueue = name(p, "smokeQueue", raw.smokeQueue ?? "burrow.smoke", "queue name") ?? "burrow.smoke";

    const queues = listOf(p, "queues", raw.queues, (k, q) =>
        queue(p, k, q, knownVhosts, defaultQueueType, cluster, broker),
    );
    duplicates(p, "queues", queues.map(sameObject));
    if (queues.some((q) => q.vhost === "/" && q.name === smokeQueue)) {
        p.add(
            "smokeQueue",
            `"${smokeQueue}" is also declared in ${p.ref("queues")}; burrow declares the smoke queue itself, pick another name`,
        );
    }

    const exchanges = listOf(p, "exchanges", raw.exchanges, (k, x) => exchange(p, k, x, knownVhosts));
    duplicates(p, "exchanges", exchanges.map(sameObject));

    // Super streams (issue 15): their exchanges and partitions count as declared for bindings and clashes.
    const superStreams = listOf(p, "superStreams", raw.superStreams, (k, x) =>
        superStream(p, k, x, knownVhosts, broker),
    );
    duplicates(p, "superStreams", superStreams.map(sameObject));
    const parts = superStreams.map(superStreamParts);
    superStreams.forEach((ss, i) => {
        const clash = [
            ...exchanges.filter((x) => x.vhost === ss.vhost && x.name === ss.name).map(() => `exchange "${ss.name}"`),
            ...parts[i].queues
                .filter((pq) => queues.some((q) => q.vhost === pq.vhost && q.name === pq.name))
                .map((pq) => `queue "${pq.name}"`),
        ];
        if (clash.length > 0)
            p.add(
                `superStreams[${i}]`,
                `makes ${clash.join(", ")}, also declared in ${p.ref(clash[0].startsWith("exchange") ? "exchanges" : "queues")}; rename one`,
            );
    });
    const withParts = {
        queues: [...queues, ...parts.flatMap((x) => x.queues)],
        exchanges: [...exchanges, ...parts.map((x) => x.exchange)],
    };

    const declared = declaredIndex(withParts.queues, withParts.exchanges);
    const bindings = listOf(p, "bindings", raw.bindings, (k, b) => binding(p, k, b, knownVhosts, declared));

    const policies = listOf(p, "policies", raw.policies, (k, x) => policy(p, k, x, knownVhosts, broker));
    duplicates(p, "policies", policies.map(sameObject));

    // Issue 15's objects (settings/objects.ts).
    const operatorPolicies = listOf(p, "operatorPolicies", raw.operatorPolicies, (k, x) =>
        operatorPolicy(p, k, x, knownVhosts, broker),
    );
    duplicates(p, "operatorPolicies", operatorPolicies.map(sameObject));
    const shovels = listOf(p, "shovels", raw.shovels, (k, x) => shovel(p, k, x, knownVhosts));
    duplicates(p, "shovels", shovels.map(sameObject));
    const federationUpstreams = listOf(p, "federationUpstreams", raw.federationUpstreams, (k, x) =>
        federationUpstream(p, k, x, knownVhosts),
    );
    duplicates(p, "federationUpstreams", federationUpstreams.map(sameObject));
    const federationUpstreamSets = listOf(p, "federationUpstreamSets", raw.federationUpstreamSets, (k, x) =>
        federationUpstreamSet(p, k, x, knownVhosts, federationUpstreams),
    );
    duplicates(p, "federationUpstreamSets", federationUpstreamSets.map(sameObject));
    checkFederationRefs(p, policies, federationUpstreams, federationUpstreamSets);
    const globals = globalParameters(p, raw.globalParameters);

    const ssh =
        target === "ssh"
            ? sshSettings(p, raw.ssh, amqpPort, managementPort, raw.cluster !== undefined, metricsPort)
            : undefined;
    if (target !== "ssh" && raw.ssh !== undefined)
        p.add("ssh", `is set but ${p.ref("target")} is not ssh; set ${p.ref("target")} to ssh or remove it`);
    const aptSources = listOf(p, "aptSources", raw.aptSources, (k, x) => aptSource(p, k, x));
    duplicates(
        p,
        "aptSources",
        aptSources.map((a) => [a.name, `"${a.name}"`]),
    );
    if (target !== "ssh" && aptSources.length > 0)
        p.add("aptSources", `applies to the SSH target only; the Docker target builds FROM ${p.ref("baseImage")}`);
    const rabbitmqVersion = raw.rabbitmqVersion ?? "";
    if (typeof rabbitmqVersion !== "string" || !/^[0-9A-Za-z.+~:-]*$/.test(rabbitmqVersion)) {
        p.add(
            "rabbitmqVersion",
            `is ${show(raw.rabbitmqVersion)}; use a Debian package version such as 4.0.5-6+deb13u2`,
        );
    } else if (rabbitmqVersion && target !== "ssh") {
        p.add(
            "rabbitmqVersion",
            `applies to the SSH target only; the Docker target takes the release's version (${p.ref("debianRelease")})`,
        );
    }

    const tls = raw.tls === undefined ? undefined : tlsSettings(p, raw.tls, [amqpPort, managementPort], metricsPort);
    if (tls && target === "ssh")
        p.add("tls", "is not built for the SSH target yet; use the Docker target or remove it");

    if (source === "config" && secretKeys) plainSecrets(p, raw, secretKeys);
    // Every delete that would lose data reads keepData from the stack's config file (lib/keep-data.ts),
    // where a secret is ciphertext: kept always, even on a scale-down the user meant.
    if (source === "config" && secretKeys?.has("keepData"))
        p.add(
            "keepData",
            `is a secret, which a destroy cannot read from the stack's config file (it would keep the data whatever the value). It holds nothing secret: set it again without --secret (\`npm run pulumi -- config set ${CONFIG_NAMESPACE}:keepData true\`)`,
        );
    const allowDataLoss = consent(p, raw.allowDataLoss);
    if (allowDataLoss.length > 0) {
        warnings.push(
            `${p.ref("allowDataLoss")} is set (${allowDataLoss.join(", ")}): changes that lose those messages are applied without asking. Remove it once this up is done${p.source === "config" ? ` (\`npm run pulumi -- config rm ${CONFIG_NAMESPACE}:allowDataLoss\`)` : ""}, so the next one asks again.`,
        );
    }

    p.throwIfAny(component);
    return {
        target: target!,
        ssh,
        tls,
        cluster,
        warnings,
        aptSources,
        rabbitmqVersion: rabbitmqVersion as string,
        debianRelease: debianRelease!,
        baseImage: baseImage!,
        plugins,
        bindAddress: bindAddress!,
        amqpPort: amqpPort!,
        managementPort: managementPort!,
        memoryLimitMb: memoryLimitMb!,
        memoryHighWatermark: memoryHighWatermark!,
        openFileLimit: openFiles!,
        diskFreeLimit: diskLimit!,
        partitionHandling: partitions,
        metricsPort: metricsPort!,
        rabbitmqConf,
        advancedConfig: advanced,
        envConfig,
        keepData: keepData!,
        admin,
        removeGuest: removeGuest!,
        vhosts,
        users,
        queues,
        exchanges,
        bindings,
        policies,
        vhostObjects: vhostDetails,
        operatorPolicies,
        shovels,
        federationUpstreams,
        federationUpstreamSets,
        superStreams,
        globalParameters: globals,
        smokeQueue,
        allowDataLoss,
    };
}

/**
 * Config keys that hold a password or a private key must be set with --secret: Pulumi keeps
 * plain config in plain text in Pulumi.<stack>.yaml, in the state, and in the backend's
 * record of every update, which an `up` without a preview writes before the program runs.
 */
function plainSecrets(p: Problems, raw: RawConfig, secretKeys: ReadonlySet<string>) {
    const users = parseJsonish(raw.users);
    const holds: Array<[string, boolean, string]> = [
        ["adminPassword", raw.adminPassword !== undefined, "a password"],
        [
            "users",
            Array.isArray(users) &&
                users.some((u) => u && typeof u === "object" && ("password" in u || "passwordHash" in u)),
            Array.isArray(users) && users.some((u) => u && typeof u === "object" && "password" in u)
                ? "passwords"
                : "password hashes",
        ],
        // Shovel and federation URIs with a password in them (amqp://user:password@host).
        ["shovels", /amqps?:\/\/[^/@\s"]*:[^/@\s"]+@/.test(JSON.stringify(raw.shovels ?? "")), "URIs with passwords"],
        [
            "federationUpstreams",
            /amqps?:\/\/[^/@\s"]*:[^/@\s"]+@/.test(JSON.stringify(raw.federationUpstreams ?? "")),
            "URIs with passwords",
        ],
        ["ssh", raw.ssh !== undefined && JSON.stringify(raw.ssh).includes("PRIVATE KEY"), "a private key"],
    ];
    for (const [key, has, what] of holds) {
        if (has && !secretKeys.has(key)) {
            p.add(
                key,
                `holds ${what} but is not a secret: Pulumi keeps plain config as plain text in Pulumi.<stack>.yaml, in the state and in its record of each update (an \`up\` without a preview, as \`npm run up\` runs it, has just written one, in .pulumi-state/.pulumi/history/ with the project's backend). Set it again with --secret (\`npm run pulumi -- config set --secret ${CONFIG_NAMESPACE}:${key} ...\`; with --path, --secret on the secret part is enough), and after an \`up\` delete the newest file of that history`,
            );
        }
    }
}

/** `allowDataLoss`: true (anything), or a list of "<kind> <label>" entries (queue, vhost, node, shovel, policy, operator-policy) as a refusal names them. */
function consent(p: Problems, v: unknown): string[] {
    const x = parseJsonish(parseScalar(v));
    if (x === undefined || x === false) return [];
    if (x === true) return ["*"];
    if (!Array.isArray(x))
        return p.add("allowDataLoss", `is ${show(v)}; use true or a list like ["queue shop/orders"]`) ?? [];
    return x.flatMap((e, i) => {
        if (typeof e === "string" && (e === "*" || /^(queue|vhost|node|shovel|policy|operator-policy) \S/.test(e)))
            return [e];
        p.add(
            `allowDataLoss[${i}]`,
            `is ${show(e)}; each entry names what may be lost as burrow's refusal does: "queue <label>", "vhost <label>", "node <name>", "shovel <label>", "policy <label>" or "operator-policy <label>"`,
        );
        return [];
    });
}
