// The one validated, typed settings object that travels from stack config to the
// components. Everything here is pure: no Pulumi runtime, no I/O, tested without mocks.
import * as net from "net";

/** Config namespace: every key is `burrow:<key>` in Pulumi.<stack>.yaml. */
export const CONFIG_NAMESPACE = "burrow";

export const AMQP_PORT = 5672;
export const MANAGEMENT_PORT = 15672;

export const DEBIAN_RELEASES = ["trixie", "bookworm"] as const;
export type DebianRelease = (typeof DEBIAN_RELEASES)[number];
export const TARGETS = ["docker", "ssh"] as const;
export type Target = (typeof TARGETS)[number];
export const USER_TAGS = ["administrator", "monitoring", "policymaker", "management", "impersonator"] as const;
export const QUEUE_TYPES = ["classic", "quorum", "stream"] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];
export const EXCHANGE_TYPES = ["direct", "fanout", "topic", "headers"] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];
export const POLICY_TARGETS = ["queues", "classic_queues", "quorum_queues", "streams", "exchanges", "all"] as const;
/** Exchanges every vhost has; they may be binding sources without being declared. */
export const BUILT_IN_EXCHANGES = ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"];

export interface Permission {
    vhost: string;
    configure: string;
    write: string;
    read: string;
}

export interface TopicPermission {
    vhost: string;
    exchange: string;
    write: string;
    read: string;
}

export interface UserSettings {
    name: string;
    /** Plain text here; components wrap it with pulumi.secret. Undefined: generated once. */
    password?: string;
    tags: string[];
    permissions: Permission[];
    topicPermissions: TopicPermission[];
}

export interface QueueSettings {
    name: string;
    vhost: string;
    type: QueueType;
    durable: boolean;
    autoDelete: boolean;
    arguments: Record<string, string | number | boolean>;
    /** Also round-trip a message through this queue in the smoke test. */
    smoke: boolean;
}

export interface ExchangeSettings {
    name: string;
    vhost: string;
    type: ExchangeType;
    durable: boolean;
    autoDelete: boolean;
    internal: boolean;
    arguments: Record<string, string | number | boolean>;
}

export interface BindingSettings {
    vhost: string;
    source: string;
    destination: string;
    destinationType: "queue" | "exchange";
    routingKey: string;
    arguments: Record<string, string | number | boolean>;
}

export interface PolicySettings {
    name: string;
    vhost: string;
    pattern: string;
    applyTo: (typeof POLICY_TARGETS)[number];
    priority: number;
    definition: Record<string, unknown>;
}

/** How burrow reaches a host for the SSH target. */
export interface SshSettings {
    host: string;
    port: number;
    user: string;
    /** Private key text (OpenSSH or PEM); a secret. */
    privateKey: string;
    /** Pinned host key, "ssh-ed25519 AAAA..." as ssh-keyscan prints it. */
    hostKey?: string;
    insecureIgnoreHostKey: boolean;
    /**
     * The broker listens only on the host's own loopback, and burrow reaches its management
     * API and AMQP port through SSH tunnels (access* are then ignored).
     */
    tunnel: boolean;
    /** Where clients (the management API, AMQP) reach the broker: default the SSH host and the broker's ports. */
    accessHost: string;
    accessAmqpPort: number;
    accessManagementPort: number;
    /**
     * Every host, in order: one for the single-host form (`ssh.host`, equal to the fields
     * above), or the cluster's nodes from `ssh.hosts` (the fields above then describe host 1,
     * where burrow administers the cluster).
     */
    hosts: SshHostSettings[];
}

/** One host of an SSH cluster (`burrow:ssh.hosts[i]`); user, key and host-key policy are shared. */
export interface SshHostSettings {
    host: string;
    port: number;
    hostKey?: string;
    /** RabbitMQ node name, "rabbit@<short name>"; "" = rabbit@ the host's own `hostname -s`. */
    nodeName: string;
    accessHost: string;
    accessAmqpPort: number;
    accessManagementPort: number;
}

export interface AptSourceSettings {
    name: string;
    uri: string;
    suite: string;
    components: string[];
    /** ASCII-armored signing key, or "" when the host already trusts the suite's key. */
    key: string;
}

/** TLS listeners: AMQPS and HTTPS management with a CA the stack generates. */
export interface TlsSettings {
    /** Close the plain AMQP and HTTP listeners. */
    only: boolean;
    amqpsPort: number;
    managementPort: number;
    /** DNS names in the server certificate (IPs 127.0.0.1, ::1 and bindAddress are always in). */
    hostnames: string[];
}

export interface ClusterSettings {
    /** Number of nodes. */
    nodes: number;
    /** Replicas of each quorum queue (x-quorum-initial-group-size). */
    replicationFactor: number;
}

export interface BrokerSettings {
    target: Target;
    /** A cluster of N nodes (undefined: one node): N containers, or one node per host of `ssh.hosts`. */
    cluster?: ClusterSettings;
    /** Not errors, but worth saying at preview (e.g. an even node count). */
    warnings: string[];
    /** Docker target: TLS listeners (undefined: plain only). */
    tls?: TlsSettings;
    /** SSH target only. */
    ssh?: SshSettings;
    /** SSH target only: extra apt repositories (Debian's own are used by default). */
    aptSources: AptSourceSettings[];
    /** SSH target only: pin the rabbitmq-server package version ("" = the suite's). */
    rabbitmqVersion: string;
    debianRelease: DebianRelease;
    /** Local image the broker image builds FROM (made by scripts/bootstrap). */
    baseImage: string;
    /** Plugins enabled offline in the image; always contains rabbitmq_management. */
    plugins: string[];
    /** Host address the AMQP and management ports are published on. */
    bindAddress: string;
    amqpPort: number;
    managementPort: number;
    memoryLimitMb: number;
    memoryHighWatermark: number;
    keepData: boolean;
    admin: UserSettings;
    removeGuest: boolean;
    vhosts: string[];
    users: UserSettings[];
    queues: QueueSettings[];
    exchanges: ExchangeSettings[];
    bindings: BindingSettings[];
    policies: PolicySettings[];
    smokeQueue: string;
}

/** Thrown with every problem found, each naming its config key. */
export class SettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Invalid burrow configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
                `nothing was created:\n` +
                problems.map((p) => `  - ${p}`).join("\n") +
                `\nSet values with \`npm run pulumi -- config set ${CONFIG_NAMESPACE}:<key> <value>\` ` +
                `(objects and lists with --path or --json); see README "Configuration".`,
        );
        this.name = "SettingsError";
    }
}

// Queue arguments burrow knows, with the queue types they apply to and a value check.
type ArgCheck = { types: QueueType[]; check: (v: unknown) => boolean; expect: string };
const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const str = (v: unknown) => typeof v === "string";
const ALL: QueueType[] = ["classic", "quorum", "stream"];
export const QUEUE_ARGUMENTS: Record<string, ArgCheck> = {
    "x-message-ttl": { types: ["classic", "quorum"], check: nonNegInt, expect: "an integer >= 0 (milliseconds)" },
    "x-expires": { types: ["classic", "quorum"], check: posInt, expect: "an integer > 0 (milliseconds)" },
    "x-max-length": { types: ALL, check: nonNegInt, expect: "an integer >= 0" },
    "x-max-length-bytes": { types: ALL, check: nonNegInt, expect: "an integer >= 0" },
    "x-overflow": {
        types: ["classic", "quorum"],
        check: (v) => ["drop-head", "reject-publish", "reject-publish-dlx"].includes(v as string),
        expect: "one of drop-head, reject-publish, reject-publish-dlx",
    },
    "x-dead-letter-exchange": { types: ["classic", "quorum"], check: str, expect: "an exchange name" },
    "x-dead-letter-routing-key": { types: ["classic", "quorum"], check: str, expect: "a routing key" },
    "x-dead-letter-strategy": {
        types: ["quorum"],
        check: (v) => ["at-most-once", "at-least-once"].includes(v as string),
        expect: "at-most-once or at-least-once",
    },
    "x-max-priority": {
        types: ["classic"],
        check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 255,
        expect: "an integer from 1 to 255",
    },
    "x-single-active-consumer": {
        types: ["classic", "quorum"],
        check: (v) => typeof v === "boolean",
        expect: "true or false",
    },
    "x-delivery-limit": { types: ["quorum"], check: nonNegInt, expect: "an integer >= 0" },
    "x-quorum-initial-group-size": { types: ["quorum"], check: posInt, expect: "an integer > 0" },
    "x-queue-leader-locator": {
        types: ["quorum", "stream"],
        check: (v) => ["client-local", "balanced"].includes(v as string),
        expect: "client-local or balanced",
    },
    "x-max-age": {
        types: ["stream"],
        check: (v) => typeof v === "string" && /^\d+(Y|M|D|h|m|s)$/.test(v),
        expect: 'a duration such as "7D", "12h" or "30m"',
    },
    "x-stream-max-segment-size-bytes": { types: ["stream"], check: posInt, expect: "an integer > 0" },
};

const KNOWN_KEYS = [
    "target",
    "debianRelease",
    "baseImage",
    "plugins",
    "bindAddress",
    "amqpPort",
    "managementPort",
    "memoryLimitMb",
    "memoryHighWatermark",
    "keepData",
    "adminUser",
    "adminPassword",
    "adminTags",
    "adminPermissions",
    "removeGuest",
    "vhosts",
    "users",
    "queues",
    "exchanges",
    "bindings",
    "policies",
    "smokeQueue",
    "ssh",
    "aptSources",
    "rabbitmqVersion",
    "tls",
    "cluster",
];

/** Raw config: key (without namespace) -> value as Pulumi config holds it (string or parsed JSON). */
export type RawConfig = Record<string, unknown>;

/**
 * Validates raw stack config and returns the typed settings with every default filled in.
 * Throws SettingsError listing every problem, each naming the `burrow:` key.
 */
export function parseSettings(raw: RawConfig): BrokerSettings {
    const p = new Problems();
    for (const key of Object.keys(raw)) {
        if (!KNOWN_KEYS.includes(key)) {
            p.add(key, `is not a burrow setting; known keys: ${KNOWN_KEYS.join(", ")}`);
        }
    }
    const target = oneOf(p, "target", raw.target ?? "docker", TARGETS);
    const debianRelease = oneOf(p, "debianRelease", raw.debianRelease ?? "trixie", DEBIAN_RELEASES);
    const baseImage = imageRef(p, "baseImage", raw.baseImage ?? `burrow/debian:${debianRelease ?? "trixie"}`);
    const plugins = pluginList(p, raw.plugins);
    const bindAddress = address(p, "bindAddress", raw.bindAddress ?? "127.0.0.1");
    const amqpPort = port(p, "amqpPort", raw.amqpPort ?? AMQP_PORT);
    const managementPort = port(p, "managementPort", raw.managementPort ?? MANAGEMENT_PORT);
    if (amqpPort !== undefined && amqpPort === managementPort) {
        p.add("managementPort", `equals \`burrow:amqpPort\` (${amqpPort}); the two listeners need different ports`);
    }
    const memoryLimitMb = integer(p, "memoryLimitMb", raw.memoryLimitMb ?? 1024, 256, 1024 * 1024, "megabytes");
    const memoryHighWatermark = fraction(p, "memoryHighWatermark", raw.memoryHighWatermark ?? 0.6);
    const keepData = bool(p, "keepData", raw.keepData ?? false);
    const removeGuest = bool(p, "removeGuest", raw.removeGuest ?? true);

    const warnings: string[] = [];
    // On the SSH target a cluster's node count is the number of hosts in `ssh.hosts`.
    const sshHostCount = target === "ssh" ? countOfHosts(raw.ssh) : undefined;
    if (raw.cluster !== undefined && target === "ssh" && sshHostCount === undefined) {
        p.add(
            "cluster",
            `on the SSH target needs the hosts as a list in \`${CONFIG_NAMESPACE}:ssh.hosts\` ([{"host": "...", "hostKey": "..."}, ...]) instead of \`${CONFIG_NAMESPACE}:ssh.host\`; the node count is their number`,
        );
    }
    const cluster = raw.cluster === undefined ? undefined : clusterSettings(p, raw.cluster, warnings, sshHostCount);
    if (cluster && raw.tls !== undefined)
        p.add("cluster", "cannot be combined with `burrow:tls` yet; remove one of them");
    if (cluster && target === "docker" && amqpPort !== undefined && managementPort !== undefined) {
        const a = [amqpPort, amqpPort + cluster.nodes - 1],
            m = [managementPort, managementPort + cluster.nodes - 1];
        if (a[1] > 65535 || m[1] > 65535)
            p.add(
                "cluster.nodes",
                `needs ports up to ${Math.max(a[1], m[1])}; node i uses amqpPort+i-1 and managementPort+i-1`,
            );
        if (a[0] <= m[1] && m[0] <= a[1])
            p.add(
                "managementPort",
                `range ${m[0]}-${m[1]} overlaps the AMQP range ${a[0]}-${a[1]} of the ${cluster.nodes} nodes; move one of them`,
            );
    }
    const defaultQueueType: QueueType = cluster ? "quorum" : "classic";

    const vhosts = list(p, "vhosts", raw.vhosts).flatMap((v, i) => {
        const n = name(p, `vhosts[${i}]`, v, "vhost");
        return n === undefined ? [] : [n];
    });
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
        password: adminPassword,
        tags: adminTags,
        permissions: adminPermission ? [adminPermission] : [],
        topicPermissions: [],
    };

    const users = list(p, "users", raw.users).flatMap((u, i) => {
        const key = `users[${i}]`;
        if (!isObject(u)) return (p.add(key, "must be an object like {name, password, tags, permissions}"), []);
        unknownFields(p, key, u, ["name", "password", "tags", "permissions", "topicPermissions"]);
        const n = name(p, `${key}.name`, u.name, "user name");
        if (n !== undefined && n === admin.name)
            p.add(`${key}.name`, `"${n}" is the admin user; set it with \`burrow:adminUser\``);
        const perms = list(p, `${key}.permissions`, u.permissions).flatMap((x, j) => {
            const r = permission(p, `${key}.permissions[${j}]`, x, knownVhosts);
            return r ? [r] : [];
        });
        const topicPerms = list(p, `${key}.topicPermissions`, u.topicPermissions).flatMap((x, j) => {
            const r = topicPermission(p, `${key}.topicPermissions[${j}]`, x, knownVhosts);
            return r ? [r] : [];
        });
        return n === undefined
            ? []
            : [
                  {
                      name: n,
                      password: password(p, `${key}.password`, u.password),
                      tags: tags(p, `${key}.tags`, u.tags ?? []),
                      permissions: perms,
                      topicPermissions: topicPerms,
                  },
              ];
    });
    duplicates(
        p,
        "users",
        users.map((u) => [u.name, u.name]),
    );

    const smokeQueue = name(p, "smokeQueue", raw.smokeQueue ?? "burrow.smoke", "queue name") ?? "burrow.smoke";

    const queues = list(p, "queues", raw.queues).flatMap((q, i) => {
        const r = queue(p, `queues[${i}]`, q, knownVhosts, defaultQueueType, cluster);
        return r ? [r] : [];
    });
    duplicates(
        p,
        "queues",
        queues.map((q) => [`${q.vhost}/${q.name}`, `"${q.name}" in vhost "${q.vhost}"`]),
    );
    if (queues.some((q) => q.vhost === "/" && q.name === smokeQueue)) {
        p.add(
            "smokeQueue",
            `"${smokeQueue}" is also declared in \`burrow:queues\`; burrow declares the smoke queue itself, pick another name`,
        );
    }

    const exchanges = list(p, "exchanges", raw.exchanges).flatMap((x, i) => {
        const r = exchange(p, `exchanges[${i}]`, x, knownVhosts);
        return r ? [r] : [];
    });
    duplicates(
        p,
        "exchanges",
        exchanges.map((x) => [`${x.vhost}/${x.name}`, `"${x.name}" in vhost "${x.vhost}"`]),
    );

    const bindings = list(p, "bindings", raw.bindings).flatMap((b, i) => {
        const r = binding(p, `bindings[${i}]`, b, knownVhosts, queues, exchanges);
        return r ? [r] : [];
    });

    const policies = list(p, "policies", raw.policies).flatMap((x, i) => {
        const r = policy(p, `policies[${i}]`, x, knownVhosts);
        return r ? [r] : [];
    });
    duplicates(
        p,
        "policies",
        policies.map((x) => [`${x.vhost}/${x.name}`, `"${x.name}" in vhost "${x.vhost}"`]),
    );

    const ssh =
        target === "ssh" ? sshSettings(p, raw.ssh, amqpPort, managementPort, raw.cluster !== undefined) : undefined;
    if (target !== "ssh" && raw.ssh !== undefined)
        p.add("ssh", "is set but `burrow:target` is not ssh; set `burrow:target` to ssh or remove it");
    const aptSources = list(p, "aptSources", raw.aptSources).flatMap((x, i) => {
        const r = aptSource(p, `aptSources[${i}]`, x);
        return r ? [r] : [];
    });
    duplicates(
        p,
        "aptSources",
        aptSources.map((a) => [a.name, `"${a.name}"`]),
    );
    if (target !== "ssh" && aptSources.length > 0)
        p.add("aptSources", "applies to the SSH target only; the Docker target builds FROM `burrow:baseImage`");
    const rabbitmqVersion = raw.rabbitmqVersion ?? "";
    if (typeof rabbitmqVersion !== "string" || !/^[0-9A-Za-z.+~:-]*$/.test(rabbitmqVersion)) {
        p.add(
            "rabbitmqVersion",
            `is ${show(raw.rabbitmqVersion)}; use a Debian package version such as 4.0.5-6+deb13u2`,
        );
    } else if (rabbitmqVersion && target !== "ssh") {
        p.add(
            "rabbitmqVersion",
            "applies to the SSH target only; the Docker target takes the release's version (`burrow:debianRelease`)",
        );
    }

    const tls = raw.tls === undefined ? undefined : tlsSettings(p, raw.tls, [amqpPort, managementPort]);
    if (tls && target === "ssh")
        p.add("tls", "is not built for the SSH target yet; use the Docker target or remove it");

    p.throwIfAny();
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
        keepData: keepData!,
        admin,
        removeGuest: removeGuest!,
        vhosts,
        users,
        queues,
        exchanges,
        bindings,
        policies,
        smokeQueue,
    };
}

class Problems {
    readonly list: string[] = [];
    add(key: string, message: string): undefined {
        this.list.push(`\`${CONFIG_NAMESPACE}:${key}\` ${message}`);
        return undefined;
    }
    throwIfAny() {
        if (this.list.length > 0) throw new SettingsError(this.list);
    }
}

function show(v: unknown): string {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Config from the CLI arrives as strings; numbers and booleans are parsed here. */
function parseScalar(v: unknown): unknown {
    if (typeof v !== "string") return v;
    const t = v.trim();
    if (t === "true") return true;
    if (t === "false") return false;
    if (t !== "" && !isNaN(Number(t))) return Number(t);
    return v;
}

function parseJsonish(v: unknown): unknown {
    if (typeof v === "string" && /^\s*[[{]/.test(v)) {
        try {
            return JSON.parse(v);
        } catch {
            return v;
        }
    }
    return v;
}

function oneOf<T extends string>(
    p: Problems,
    key: string,
    v: unknown,
    allowed: readonly T[],
    hint = () => "",
): T | undefined {
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    return p.add(key, `is ${show(v)}; allowed: ${allowed.join(", ")}${hint()}`);
}

function port(p: Problems, key: string, v: unknown): number | undefined {
    const n = parseScalar(v);
    if (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535) return n as number;
    return p.add(key, `is ${show(v)}; a port is a whole number from 1 to 65535`);
}

function integer(p: Problems, key: string, v: unknown, min: number, max: number, unit: string): number | undefined {
    const n = parseScalar(v);
    if (Number.isInteger(n) && (n as number) >= min && (n as number) <= max) return n as number;
    return p.add(key, `is ${show(v)}; use a whole number of ${unit} from ${min} to ${max}`);
}

function fraction(p: Problems, key: string, v: unknown): number | undefined {
    const n = parseScalar(v);
    if (typeof n === "number" && n >= 0.1 && n <= 0.9) return n;
    return p.add(key, `is ${show(v)}; use a fraction of the memory limit from 0.1 to 0.9 (RabbitMQ's default is 0.6)`);
}

function bool(p: Problems, key: string, v: unknown): boolean | undefined {
    const b = parseScalar(v);
    if (typeof b === "boolean") return b;
    return p.add(key, `is ${show(v)}; use true or false`);
}

function address(p: Problems, key: string, v: unknown): string | undefined {
    if (typeof v === "string" && net.isIP(v) !== 0) return v;
    return p.add(key, `is ${show(v)}; use an IP address of this host, e.g. 127.0.0.1 (the default) or ::1`);
}

function imageRef(p: Problems, key: string, v: unknown): string | undefined {
    if (typeof v === "string" && /^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/.test(v)) return v;
    return p.add(key, `is ${show(v)}; use a local image reference such as burrow/debian:trixie`);
}

function list(p: Problems, key: string, v: unknown): unknown[] {
    const x = parseJsonish(v);
    if (x === undefined) return [];
    if (Array.isArray(x)) return x;
    p.add(key, `is ${show(v)}; it must be a list (set it with --path ${CONFIG_NAMESPACE}:${key}[0]... or --json)`);
    return [];
}

function controlChars(s: string): boolean {
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f]/.test(s);
}

/** Queue, exchange, user and vhost names: 1..255 UTF-8 bytes, no control characters. */
export function nameProblem(v: unknown, what: string): string | undefined {
    if (typeof v !== "string" || v.length === 0) return `is ${show(v)}; a ${what} is a non-empty string`;
    if (Buffer.byteLength(v, "utf8") > 255)
        return `is ${Buffer.byteLength(v, "utf8")} bytes long; a ${what} has at most 255 bytes`;
    if (controlChars(v)) return `${show(v)} contains control characters; a ${what} may not`;
    return undefined;
}

function name(p: Problems, key: string, v: unknown, what: string): string | undefined {
    const problem = nameProblem(v, what);
    return problem ? p.add(key, problem) : (v as string);
}

function password(p: Problems, key: string, v: unknown): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.length < 8 || controlChars(v)) {
        return p.add(
            key,
            `must be a string of at least 8 characters without control characters (set it with --secret)`,
        );
    }
    return v;
}

function tags(p: Problems, key: string, v: unknown): string[] {
    const x = parseJsonish(v);
    const arr =
        typeof x === "string"
            ? x
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean)
            : x;
    if (!Array.isArray(arr)) return p.add(key, `is ${show(v)}; use a list of user tags: ${USER_TAGS.join(", ")}`) ?? [];
    const out: string[] = [];
    for (const t of arr) {
        if (typeof t === "string" && (USER_TAGS as readonly string[]).includes(t)) out.push(t);
        else p.add(key, `has unknown user tag ${show(t)}; allowed: ${USER_TAGS.join(", ")}`);
    }
    return out;
}

export function regexProblem(v: unknown): string | undefined {
    if (typeof v !== "string")
        return `is ${show(v)}; a permission pattern is a regular expression string such as ".*" (or "" for none)`;
    try {
        new RegExp(v);
        return undefined;
    } catch (e) {
        return `${show(v)} is not a valid regular expression (${(e as Error).message})`;
    }
}

function vhostRef(p: Problems, key: string, v: unknown, known: Set<string>): string | undefined {
    const vh = v ?? "/";
    if (typeof vh === "string" && known.has(vh)) return vh;
    return p.add(
        key,
        `names vhost ${show(v)}, which is not declared; declare it in \`${CONFIG_NAMESPACE}:vhosts\` or use "/"`,
    );
}

function unknownFields(p: Problems, key: string, o: Record<string, unknown>, allowed: string[]) {
    for (const f of Object.keys(o)) {
        if (!allowed.includes(f)) p.add(`${key}.${f}`, `is not a field here; allowed: ${allowed.join(", ")}`);
    }
}

function permission(p: Problems, key: string, v: unknown, vhosts: Set<string>): Permission | undefined {
    if (!isObject(v))
        return p.add(key, `must be an object like {"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}`);
    unknownFields(p, key, v, ["vhost", "configure", "write", "read"]);
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const out: Partial<Permission> = { vhost };
    for (const f of ["configure", "write", "read"] as const) {
        const val = v[f] ?? ".*";
        const problem = regexProblem(val);
        if (problem) p.add(`${key}.${f}`, problem);
        else out[f] = val as string;
    }
    return vhost !== undefined && out.configure !== undefined && out.write !== undefined && out.read !== undefined
        ? (out as Permission)
        : undefined;
}

function topicPermission(p: Problems, key: string, v: unknown, vhosts: Set<string>): TopicPermission | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"vhost": "/", "exchange": "amq.topic", "write": ".*", "read": ".*"}`,
        );
    unknownFields(p, key, v, ["vhost", "exchange", "write", "read"]);
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const exchangeName = name(p, `${key}.exchange`, v.exchange ?? "amq.topic", "exchange name");
    const out: Partial<TopicPermission> = { vhost, exchange: exchangeName };
    for (const f of ["write", "read"] as const) {
        const val = v[f] ?? ".*";
        const problem = regexProblem(val);
        if (problem) p.add(`${key}.${f}`, problem);
        else out[f] = val as string;
    }
    return vhost !== undefined && exchangeName !== undefined && out.write !== undefined && out.read !== undefined
        ? (out as TopicPermission)
        : undefined;
}

function args(p: Problems, key: string, v: unknown): Record<string, string | number | boolean> {
    const x = parseJsonish(v) ?? {};
    if (!isObject(x)) return p.add(key, `is ${show(v)}; use an object of x-arguments`) ?? {};
    const out: Record<string, string | number | boolean> = {};
    for (const [k, val] of Object.entries(x)) {
        if (typeof val !== "string" && typeof val !== "number" && typeof val !== "boolean") {
            p.add(`${key}.${k}`, `is ${show(val)}; argument values are strings, numbers or booleans`);
        } else out[k] = val;
    }
    return out;
}

function queue(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    defaultType: QueueType,
    cluster?: ClusterSettings,
): QueueSettings | undefined {
    if (typeof v === "string") v = { name: v };
    if (!isObject(v)) return p.add(key, `must be a queue name or an object like {"name": "tasks", "type": "quorum"}`);
    unknownFields(p, key, v, ["name", "vhost", "type", "durable", "autoDelete", "arguments", "smoke"]);
    const n = name(p, `${key}.name`, v.name, "queue name");
    if (n?.startsWith("amq."))
        p.add(`${key}.name`, `"${n}" starts with "amq.", which RabbitMQ reserves for its own queues`);
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const type = oneOf(p, `${key}.type`, v.type ?? defaultType, QUEUE_TYPES);
    const durable = bool(p, `${key}.durable`, v.durable ?? true);
    const autoDelete = bool(p, `${key}.autoDelete`, v.autoDelete ?? false);
    const smoke = bool(p, `${key}.smoke`, v.smoke ?? false);
    const a = args(p, `${key}.arguments`, v.arguments);
    if (type && type !== "classic") {
        if (durable === false)
            p.add(`${key}.durable`, `is false, but ${type} queues are always durable; remove it or use type "classic"`);
        if (autoDelete)
            p.add(`${key}.autoDelete`, `is true, but ${type} queues cannot be auto-delete; use type "classic"`);
    }
    if (type === "stream" && smoke)
        p.add(`${key}.smoke`, `is true for a stream; the smoke test uses basic.get, which streams do not support`);
    for (const [k, val] of Object.entries(a)) {
        if (k === "x-queue-type") {
            p.add(`${key}.arguments.${k}`, `is set by \`${key}.type\`; remove it from arguments`);
            continue;
        }
        const spec = QUEUE_ARGUMENTS[k];
        if (!spec) {
            p.add(
                `${key}.arguments.${k}`,
                `is not a queue argument burrow knows; known: ${Object.keys(QUEUE_ARGUMENTS).join(", ")}`,
            );
        } else if (type && !spec.types.includes(type)) {
            p.add(`${key}.arguments.${k}`, `does not apply to ${type} queues (only ${spec.types.join(", ")})`);
        } else if (!spec.check(val)) {
            p.add(`${key}.arguments.${k}`, `is ${show(val)}; expected ${spec.expect}`);
        }
    }
    if (
        n === undefined ||
        vhost === undefined ||
        type === undefined ||
        durable === undefined ||
        autoDelete === undefined ||
        smoke === undefined
    )
        return undefined;
    if (cluster && type === "quorum" && a["x-quorum-initial-group-size"] === undefined)
        a["x-quorum-initial-group-size"] = cluster.replicationFactor;
    if (
        cluster &&
        typeof a["x-quorum-initial-group-size"] === "number" &&
        a["x-quorum-initial-group-size"] > cluster.nodes
    ) {
        p.add(
            `${key}.arguments.x-quorum-initial-group-size`,
            `is ${a["x-quorum-initial-group-size"]}, more than the ${cluster.nodes} nodes of \`${CONFIG_NAMESPACE}:cluster\``,
        );
    }
    return { name: n, vhost, type, durable, autoDelete, arguments: a, smoke };
}

function exchange(p: Problems, key: string, v: unknown, vhosts: Set<string>): ExchangeSettings | undefined {
    if (!isObject(v)) return p.add(key, `must be an object like {"name": "events", "type": "topic"}`);
    unknownFields(p, key, v, ["name", "vhost", "type", "durable", "autoDelete", "internal", "arguments"]);
    const n = name(p, `${key}.name`, v.name, "exchange name");
    if (n?.startsWith("amq."))
        p.add(
            `${key}.name`,
            `"${n}" starts with "amq.", which RabbitMQ reserves; built-in exchanges need no declaration`,
        );
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const type = oneOf(p, `${key}.type`, v.type, EXCHANGE_TYPES);
    const durable = bool(p, `${key}.durable`, v.durable ?? true);
    const autoDelete = bool(p, `${key}.autoDelete`, v.autoDelete ?? false);
    const internal = bool(p, `${key}.internal`, v.internal ?? false);
    const a = args(p, `${key}.arguments`, v.arguments);
    if (
        n === undefined ||
        vhost === undefined ||
        type === undefined ||
        durable === undefined ||
        autoDelete === undefined ||
        internal === undefined
    )
        return undefined;
    return { name: n, vhost, type, durable, autoDelete, internal, arguments: a };
}

function binding(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    queues: QueueSettings[],
    exchanges: ExchangeSettings[],
): BindingSettings | undefined {
    if (!isObject(v))
        return p.add(key, `must be an object like {"source": "events", "destination": "tasks", "routingKey": "a.#"}`);
    unknownFields(p, key, v, ["vhost", "source", "destination", "destinationType", "routingKey", "arguments"]);
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const destinationType = oneOf(p, `${key}.destinationType`, v.destinationType ?? "queue", [
        "queue",
        "exchange",
    ] as const);
    const source = name(p, `${key}.source`, v.source, "exchange name");
    const destination = name(p, `${key}.destination`, v.destination, `${destinationType ?? "queue"} name`);
    const routingKey = v.routingKey ?? "";
    if (typeof routingKey !== "string" || Buffer.byteLength(routingKey) > 255) {
        p.add(`${key}.routingKey`, `is ${show(routingKey)}; a routing key is a string of at most 255 bytes`);
    }
    const a = args(p, `${key}.arguments`, v.arguments);
    const declaredExchange = (x: string) =>
        BUILT_IN_EXCHANGES.includes(x) || exchanges.some((e) => e.vhost === vhost && e.name === x);
    if (vhost !== undefined && source !== undefined && !declaredExchange(source)) {
        p.add(
            `${key}.source`,
            `names exchange "${source}", which is not declared in vhost "${vhost}"; declare it in \`${CONFIG_NAMESPACE}:exchanges\``,
        );
    }
    if (vhost !== undefined && destination !== undefined && destinationType !== undefined) {
        const ok =
            destinationType === "queue"
                ? queues.some((q) => q.vhost === vhost && q.name === destination)
                : declaredExchange(destination);
        if (!ok) {
            p.add(
                `${key}.destination`,
                `names ${destinationType} "${destination}", which is not declared in vhost "${vhost}"; declare it in \`${CONFIG_NAMESPACE}:${destinationType}s\``,
            );
        }
    }
    if (
        vhost === undefined ||
        source === undefined ||
        destination === undefined ||
        destinationType === undefined ||
        typeof routingKey !== "string"
    )
        return undefined;
    return { vhost, source, destination, destinationType, routingKey, arguments: a };
}

function policy(p: Problems, key: string, v: unknown, vhosts: Set<string>): PolicySettings | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"name": "ttl", "pattern": "^tasks$", "definition": {"message-ttl": 60000}}`,
        );
    unknownFields(p, key, v, ["name", "vhost", "pattern", "applyTo", "priority", "definition"]);
    const n = name(p, `${key}.name`, v.name, "policy name");
    const vhost = vhostRef(p, `${key}.vhost`, v.vhost, vhosts);
    const patternProblem = regexProblem(v.pattern);
    if (patternProblem) p.add(`${key}.pattern`, patternProblem);
    const applyTo = oneOf(p, `${key}.applyTo`, v.applyTo ?? "queues", POLICY_TARGETS);
    const priority = integer(p, `${key}.priority`, v.priority ?? 0, -1000, 1000, "priority");
    const definition = parseJsonish(v.definition);
    if (!isObject(definition) || Object.keys(definition).length === 0) {
        p.add(
            `${key}.definition`,
            `is ${show(v.definition)}; a policy needs a non-empty definition object such as {"max-length": 1000}`,
        );
    }
    if (
        n === undefined ||
        vhost === undefined ||
        patternProblem ||
        applyTo === undefined ||
        priority === undefined ||
        !isObject(definition) ||
        Object.keys(definition).length === 0
    )
        return undefined;
    return { name: n, vhost, pattern: v.pattern as string, applyTo, priority, definition };
}

function pluginList(p: Problems, v: unknown): string[] {
    const x = parseJsonish(v);
    const arr =
        x === undefined
            ? []
            : typeof x === "string"
              ? x
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean)
              : x;
    if (!Array.isArray(arr))
        return p.add("plugins", `is ${show(v)}; use a list of plugin names such as ["rabbitmq_shovel"]`) ?? [];
    const out = ["rabbitmq_management"];
    arr.forEach((name, i) => {
        if (typeof name !== "string" || !/^rabbitmq_[a-z0-9_]+$/.test(name)) {
            p.add(
                `plugins[${i}]`,
                `is ${show(name)}; plugin names look like rabbitmq_<name> (see \`rabbitmq-plugins list\`)`,
            );
        } else if (!out.includes(name)) out.push(name);
    });
    return out;
}

function duplicates(p: Problems, key: string, items: Array<[string, string]>) {
    const seen = new Set<string>();
    for (const [id, label] of items) {
        if (seen.has(id)) p.add(key, `declares ${label} twice; each must be unique`);
        seen.add(id);
    }
}

const SSH_FIELDS = [
    "host",
    "hosts",
    "port",
    "user",
    "privateKey",
    "hostKey",
    "insecureIgnoreHostKey",
    "tunnel",
    "accessHost",
    "accessAmqpPort",
    "accessManagementPort",
];
const SSH_HOST_FIELDS = ["host", "port", "hostKey", "nodeName", "accessHost", "accessAmqpPort", "accessManagementPort"];
/** Most nodes burrow builds a cluster of (Docker: `cluster.nodes`; SSH: `ssh.hosts`). */
const MAX_CLUSTER_NODES = 9;

/** `ssh.hosts`'s length when it is a list (the SSH cluster's node count), else undefined. */
function countOfHosts(v: unknown): number | undefined {
    const x = parseJsonish(v);
    if (!isObject(x)) return undefined;
    const hosts = parseJsonish(x.hosts);
    return Array.isArray(hosts) ? hosts.length : undefined;
}

function sshSettings(
    p: Problems,
    v: unknown,
    amqpPort: number | undefined,
    managementPort: number | undefined,
    clusterSet: boolean,
): SshSettings | undefined {
    const x = parseJsonish(v);
    if (!isObject(x))
        return p.add(
            "ssh",
            `is required when \`${CONFIG_NAMESPACE}:target\` is ssh: {"host": "...", "privateKey": "...", "hostKey": "ssh-ed25519 AAAA..."}`,
        );
    unknownFields(p, "ssh", x, SSH_FIELDS);
    const user =
        typeof (x.user ?? "root") === "string" && /^[a-z_][a-z0-9_-]*$/.test((x.user ?? "root") as string)
            ? ((x.user ?? "root") as string)
            : p.add("ssh.user", `is ${show(x.user)}; a user name such as root (or a user with passwordless sudo)`);
    const privateKey =
        typeof x.privateKey === "string" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(x.privateKey)
            ? x.privateKey
            : p.add(
                  "ssh.privateKey",
                  'must be a private key\'s text (-----BEGIN ... PRIVATE KEY-----); set it with `config set --secret --path burrow:ssh.privateKey "$(cat KEY)"`',
              );
    const insecure = bool(p, "ssh.insecureIgnoreHostKey", x.insecureIgnoreHostKey ?? false);
    const tunnel = bool(p, "ssh.tunnel", x.tunnel ?? false);
    const hostsRaw = parseJsonish(x.hosts);
    let hosts: SshHostSettings[] | undefined;
    if (hostsRaw === undefined) {
        // The single-host form: `ssh.host` and its fields at the top level.
        const h = sshHost(p, "ssh", x, x.port, insecure, amqpPort, managementPort);
        hosts = h && [h];
    } else {
        // A cluster's hosts: user, key, host-key policy (and a default port) shared from `ssh`.
        for (const f of ["host", "hostKey", "accessHost", "accessAmqpPort", "accessManagementPort"]) {
            if (x[f] !== undefined)
                p.add(
                    `ssh.${f}`,
                    `is set together with \`${CONFIG_NAMESPACE}:ssh.hosts\`; give it per host in ssh.hosts[i] (or use ssh.host alone for one broker)`,
                );
        }
        if (!Array.isArray(hostsRaw))
            return p.add(
                "ssh.hosts",
                `is ${show(x.hosts)}; use a list like [{"host": "10.0.0.1", "hostKey": "ssh-ed25519 AAAA..."}, ...]`,
            );
        if (hostsRaw.length === 0)
            p.add("ssh.hosts", `lists no hosts; give at least one {"host": "...", "hostKey": "..."}`);
        if (hostsRaw.length > MAX_CLUSTER_NODES)
            p.add(
                "ssh.hosts",
                `lists ${hostsRaw.length} hosts; burrow builds clusters of 1 to ${MAX_CLUSTER_NODES} nodes`,
            );
        if (!clusterSet)
            p.add(
                "ssh.hosts",
                `makes a cluster, but \`${CONFIG_NAMESPACE}:cluster\` is not set; set it (e.g. \`config set ${CONFIG_NAMESPACE}:cluster true\`) or use \`${CONFIG_NAMESPACE}:ssh.host\` for one broker`,
            );
        if (tunnel)
            p.add(
                "ssh.tunnel",
                `cannot be combined with \`${CONFIG_NAMESPACE}:ssh.hosts\` (a cluster): the nodes must reach each other and burrow must reach every node directly; set it to false`,
            );
        const port0 = x.port === undefined ? undefined : (port(p, "ssh.port", x.port) ?? 22);
        const parsed = hostsRaw.map((h, i) => {
            const key = `ssh.hosts[${i}]`;
            if (!isObject(h))
                return p.add(
                    key,
                    `must be an object like {"host": "10.0.0.1", "port": 22, "hostKey": "ssh-ed25519 AAAA...", "nodeName": "rabbit@node1"}`,
                );
            unknownFields(p, key, h, SSH_HOST_FIELDS);
            return sshHost(p, key, h, h.port ?? port0, insecure, amqpPort, managementPort);
        });
        duplicates(
            p,
            "ssh.hosts",
            parsed.flatMap((h) =>
                h ? [[`${h.host}:${h.port}`, `host ${h.host} port ${h.port}`] as [string, string]] : [],
            ),
        );
        duplicates(
            p,
            "ssh.hosts",
            parsed.flatMap((h) => (h?.nodeName ? [[h.nodeName, `node name ${h.nodeName}`] as [string, string]] : [])),
        );
        hosts = parsed.every((h) => h !== undefined) && parsed.length > 0 ? (parsed as SshHostSettings[]) : undefined;
    }
    if (
        hosts === undefined ||
        user === undefined ||
        privateKey === undefined ||
        insecure === undefined ||
        tunnel === undefined
    )
        return undefined;
    const { nodeName: _nodeName, ...first } = hosts[0];
    return { ...first, user, privateKey, insecureIgnoreHostKey: insecure, tunnel, hosts };
}

/** One host's address, port, host key, node name and access address; `key` is `ssh` or `ssh.hosts[i]`. */
function sshHost(
    p: Problems,
    key: string,
    x: Record<string, unknown>,
    portValue: unknown,
    insecure: boolean | undefined,
    amqpPort: number | undefined,
    managementPort: number | undefined,
): SshHostSettings | undefined {
    const host =
        typeof x.host === "string" && /^[A-Za-z0-9.:_-]+$/.test(x.host)
            ? x.host
            : p.add(`${key}.host`, `is ${show(x.host)}; use the host's name or IP address`);
    const sshPort = port(p, `${key}.port`, portValue ?? 22);
    let hostKey: string | undefined;
    if (x.hostKey !== undefined) {
        if (
            typeof x.hostKey === "string" &&
            /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+/.test(x.hostKey.trim())
        )
            hostKey = x.hostKey.trim();
        else
            p.add(
                `${key}.hostKey`,
                `is ${show(x.hostKey)}; use the key as ssh-keyscan prints it, e.g. "ssh-ed25519 AAAAC3..."`,
            );
    } else if (insecure === false) {
        p.add(
            `${key}.hostKey`,
            "is required: host-key checking is on; pin the key (ssh-keyscan -p PORT HOST) or set `burrow:ssh.insecureIgnoreHostKey` true",
        );
    }
    let nodeName = "";
    if (x.nodeName !== undefined) {
        // Short names only: RabbitMQ's default, and a cluster cannot mix short and long names.
        if (typeof x.nodeName === "string" && /^[A-Za-z0-9_-]+@[A-Za-z0-9_-]+$/.test(x.nodeName)) nodeName = x.nodeName;
        else
            p.add(
                `${key}.nodeName`,
                `is ${show(x.nodeName)}; use a short node name such as "rabbit@node1" (no dots; every host must resolve the part after @), or leave it out for rabbit@<the host's hostname -s>`,
            );
    }
    const accessHost = x.accessHost === undefined ? host : address(p, `${key}.accessHost`, x.accessHost);
    const accessAmqpPort =
        x.accessAmqpPort === undefined ? amqpPort : port(p, `${key}.accessAmqpPort`, x.accessAmqpPort);
    const accessManagementPort =
        x.accessManagementPort === undefined
            ? managementPort
            : port(p, `${key}.accessManagementPort`, x.accessManagementPort);
    if (
        host === undefined ||
        sshPort === undefined ||
        accessHost === undefined ||
        accessAmqpPort === undefined ||
        accessManagementPort === undefined
    )
        return undefined;
    return { host, port: sshPort, hostKey, nodeName, accessHost, accessAmqpPort, accessManagementPort };
}

function aptSource(p: Problems, key: string, v: unknown): AptSourceSettings | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"name": "updates", "uri": "http://deb.debian.org/debian", "suite": "trixie-updates", "components": ["main"], "key": "-----BEGIN PGP PUBLIC KEY BLOCK-----..."}`,
        );
    unknownFields(p, key, v, ["name", "uri", "suite", "components", "key"]);
    const n =
        typeof v.name === "string" && /^[a-z0-9][a-z0-9-]{0,40}$/.test(v.name)
            ? v.name
            : p.add(
                  `${key}.name`,
                  `is ${show(v.name)}; use lowercase letters, digits and dashes (it names the .list file)`,
              );
    const uri =
        typeof v.uri === "string" && /^https?:\/\/[^\s]+$/.test(v.uri)
            ? v.uri
            : p.add(`${key}.uri`, `is ${show(v.uri)}; use an http:// or https:// repository address`);
    const suite =
        typeof v.suite === "string" && /^[A-Za-z0-9._/-]+$/.test(v.suite)
            ? v.suite
            : p.add(`${key}.suite`, `is ${show(v.suite)}; use a suite such as trixie-updates`);
    const comps = v.components ?? ["main"];
    const components =
        Array.isArray(comps) && comps.length > 0 && comps.every((c) => typeof c === "string" && /^[a-z0-9-]+$/.test(c))
            ? (comps as string[])
            : p.add(`${key}.components`, `is ${show(comps)}; use a list such as ["main"]`);
    const k = v.key ?? "";
    const keyOk = typeof k === "string" && (k === "" || /-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(k));
    if (!keyOk)
        p.add(
            `${key}.key`,
            "must be an ASCII-armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----), or empty when the host already trusts the suite",
        );
    if (n === undefined || uri === undefined || suite === undefined || components === undefined || !keyOk)
        return undefined;
    return { name: n, uri, suite, components, key: k as string };
}

function tlsSettings(p: Problems, v: unknown, plainPorts: Array<number | undefined>): TlsSettings | undefined {
    const x = parseJsonish(v);
    if (!isObject(x))
        return p.add(
            "tls",
            `is ${show(v)}; use an object like {"only": true} (AMQPS on 5671, HTTPS management on 15671)`,
        );
    unknownFields(p, "tls", x, ["only", "amqpsPort", "managementPort", "hostnames"]);
    const only = bool(p, "tls.only", x.only ?? false);
    const amqpsPort = port(p, "tls.amqpsPort", x.amqpsPort ?? 5671);
    const managementPort = port(p, "tls.managementPort", x.managementPort ?? 15671);
    const ports = [amqpsPort, managementPort, ...(only ? [] : plainPorts)].filter((n) => n !== undefined);
    if (new Set(ports).size !== ports.length)
        p.add(
            "tls",
            `ports must differ from each other and from \`${CONFIG_NAMESPACE}:amqpPort\`/\`${CONFIG_NAMESPACE}:managementPort\` (got ${ports.join(", ")})`,
        );
    const names = x.hostnames ?? ["localhost"];
    const hostnames =
        Array.isArray(names) &&
        names.every((n) => typeof n === "string" && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(n))
            ? (names as string[])
            : p.add(
                  "tls.hostnames",
                  `is ${show(names)}; use a list of DNS names such as ["localhost", "rabbit.example"]`,
              );
    if (only === undefined || amqpsPort === undefined || managementPort === undefined || hostnames === undefined)
        return undefined;
    return { only, amqpsPort, managementPort, hostnames };
}

function clusterSettings(p: Problems, v: unknown, warnings: string[], sshHosts?: number): ClusterSettings | undefined {
    const x = parseJsonish(
        typeof v === "string" && /^\s*\d+\s*$/.test(v)
            ? { nodes: Number(v) }
            : typeof v === "number"
              ? { nodes: v }
              : parseScalar(v) === true
                ? {}
                : v,
    );
    if (!isObject(x))
        return p.add("cluster", `is ${show(v)}; use a node count (3), true, or {"nodes": 3, "replicationFactor": 3}`);
    unknownFields(p, "cluster", x, ["nodes", "replicationFactor"]);
    let nodes: number | undefined;
    if (sshHosts !== undefined) {
        // SSH target: one node per host of `ssh.hosts`; a count given as well must agree.
        if (x.nodes !== undefined && parseScalar(x.nodes) !== sshHosts) {
            return p.add(
                "cluster.nodes",
                `is ${show(x.nodes)}, but \`${CONFIG_NAMESPACE}:ssh.hosts\` lists ${sshHosts} host${sshHosts === 1 ? "" : "s"}; on the SSH target the node count is the number of hosts: remove cluster.nodes or make them agree`,
            );
        }
        if (sshHosts < 1 || sshHosts > MAX_CLUSTER_NODES) return undefined; // reported at ssh.hosts
        nodes = sshHosts;
    } else {
        nodes = integer(p, "cluster.nodes", x.nodes ?? 3, 1, MAX_CLUSTER_NODES, "nodes");
    }
    if (nodes === undefined) return undefined;
    const rf = parseScalar(x.replicationFactor ?? Math.min(3, nodes));
    if (!Number.isInteger(rf) || (rf as number) < 1 || (rf as number) > nodes) {
        return p.add(
            "cluster.replicationFactor",
            `is ${show(x.replicationFactor)}; use a whole number from 1 to the node count (${nodes}${sshHosts !== undefined ? `, the hosts in \`${CONFIG_NAMESPACE}:ssh.hosts\`` : ""})`,
        );
    }
    if (nodes % 2 === 0) {
        const what =
            sshHosts !== undefined
                ? `\`${CONFIG_NAMESPACE}:ssh.hosts\` lists ${nodes} hosts`
                : `\`${CONFIG_NAMESPACE}:cluster.nodes\` is ${nodes}`;
        warnings.push(
            `${what}, an even number: quorum queues need a majority, so ${nodes} nodes survive no more failures than ${nodes - 1} would; odd counts (3, 5) are safer.`,
        );
    }
    return { nodes, replicationFactor: rf as number };
}
