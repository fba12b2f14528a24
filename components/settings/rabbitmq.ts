// RabbitMQ's own rules, as tables: what the broker accepts (queue and exchange types, user
// tags, queue arguments, policy targets) and which Debian release brings which version.
// The checks in topology.ts read these; nothing else decides them.

export const AMQP_PORT = 5672;
export const MANAGEMENT_PORT = 15672;

export const DEBIAN_RELEASES = ["trixie", "bookworm", "forky"] as const;
export type DebianRelease = (typeof DEBIAN_RELEASES)[number];

/** What each Debian release brings (Debian's own packages; the broker image and SSH hosts install these). */
export const RELEASE_VERSIONS: Record<DebianRelease, { debian: string; rabbitmq: string; erlang: string }> = {
    bookworm: { debian: "12", rabbitmq: "3.10.8", erlang: "25" },
    trixie: { debian: "13", rabbitmq: "4.0.5", erlang: "27" },
    forky: { debian: "14 (testing)", rabbitmq: "4.3.6", erlang: "29" },
};
export const TARGETS = ["docker", "ssh"] as const;
export type Target = (typeof TARGETS)[number];
export const USER_TAGS = ["administrator", "monitoring", "policymaker", "management", "impersonator"] as const;
export const QUEUE_TYPES = ["classic", "quorum", "stream"] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];
export const EXCHANGE_TYPES = ["direct", "fanout", "topic", "headers"] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];
/** cluster_partition_handling modes burrow sets (pause_if_all_down needs a node list burrow does not manage). */
export const PARTITION_HANDLING = ["pause_minority", "autoheal", "ignore"] as const;
export type PartitionHandling = (typeof PARTITION_HANDLING)[number];
export const POLICY_TARGETS = ["queues", "classic_queues", "quorum_queues", "streams", "exchanges", "all"] as const;
/** Exchanges every vhost has; they may be binding sources without being declared. */
export const BUILT_IN_EXCHANGES = ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"];

// ---- RabbitMQ versions ------------------------------------------------------------------

/** "4.0.5" >= "4.0"? Compares dotted numbers; missing parts count as 0. */
export function versionAtLeast(version: string, min: string): boolean {
    const a = version.split(".").map((x) => parseInt(x, 10) || 0);
    const b = min.split(".").map((x) => parseInt(x, 10) || 0);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    }
    return true;
}

/** The release whose RabbitMQ first has a version at least `min`, for "use forky" hints. */
export function releaseWith(min: string): DebianRelease | undefined {
    return DEBIAN_RELEASES.filter((r) => versionAtLeast(RELEASE_VERSIONS[r].rabbitmq, min)).sort((x, y) =>
        versionAtLeast(RELEASE_VERSIONS[x].rabbitmq, RELEASE_VERSIONS[y].rabbitmq) ? 1 : -1,
    )[0];
}

// ---- Queue arguments ----------------------------------------------------------------------
// Measured on RabbitMQ 3.10.8, 4.0.5 and 4.3.6 (PUT /api/queues with each argument and value
// for each queue type): what the broker refuses at declare, and what it accepts but ignores.

/** Queue arguments burrow knows, with the queue types they apply to and a value check. */
export interface ArgCheck {
    types: QueueType[];
    /** Whether the broker takes the value; `version` is the target RabbitMQ's ("4.0.5"). */
    check: (v: unknown, version: string) => boolean;
    expect: string | ((version: string) => string);
    /** A queue type that takes the argument only from this RabbitMQ version on. */
    since?: Partial<Record<QueueType, string>>;
    /** From this version the broker accepts the argument but ignores it: a warning, not a refusal. */
    noEffect?: { from: string; why: string };
    /** Another argument this one needs (the broker refuses it alone). */
    needs?: string;
}
const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const str = (v: unknown) => typeof v === "string";
const among =
    (...values: unknown[]) =>
    (v: unknown) =>
        values.includes(v);
const intIn = (min: number, max: number) => (v: unknown) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
/** A duration RabbitMQ reads for streams: a positive whole number and one unit letter. */
const maxAge = (v: unknown) => typeof v === "string" && /^[1-9]\d*(Y|M|D|h|m|s)$/.test(v);
const MAX_AGE = 'a duration such as "7D", "12h" or "30m" (a whole number > 0 and one of Y, M, D, h, m, s)';
/** 4.0 made -1 mean "no limit" (the default became 20). */
const deliveryLimit = (v: unknown, version: string) =>
    Number.isInteger(v) && (v as number) >= (versionAtLeast(version, "4.0") ? -1 : 0);
const deliveryLimitExpect = (version: string) =>
    versionAtLeast(version, "4.0") ? "an integer >= 0, or -1 for no limit" : "an integer >= 0";
const QUEUE_MODE_GONE = {
    from: "4.0",
    why: "classic queues keep their messages on disk by themselves since RabbitMQ 3.12 (lazy is how they always work)",
};
const ALL: QueueType[] = ["classic", "quorum", "stream"];
export const QUEUE_ARGUMENTS: Record<string, ArgCheck> = {
    "x-message-ttl": { types: ["classic", "quorum"], check: nonNegInt, expect: "an integer >= 0 (milliseconds)" },
    "x-expires": { types: ["classic", "quorum"], check: posInt, expect: "an integer > 0 (milliseconds)" },
    "x-max-length": { types: ["classic", "quorum"], check: nonNegInt, expect: "an integer >= 0" },
    "x-max-length-bytes": { types: ALL, check: nonNegInt, expect: "an integer >= 0" },
    "x-overflow": {
        types: ["classic", "quorum"],
        check: among("drop-head", "reject-publish", "reject-publish-dlx"),
        expect: "one of drop-head, reject-publish, reject-publish-dlx",
    },
    "x-dead-letter-exchange": { types: ["classic", "quorum"], check: str, expect: "an exchange name" },
    "x-dead-letter-routing-key": {
        types: ["classic", "quorum"],
        check: str,
        expect: "a routing key",
        needs: "x-dead-letter-exchange",
    },
    "x-dead-letter-strategy": {
        types: ["quorum"],
        check: among("at-most-once", "at-least-once"),
        expect: "at-most-once or at-least-once",
    },
    "x-max-priority": { types: ["classic"], check: intIn(1, 255), expect: "an integer from 1 to 255" },
    "x-single-active-consumer": { types: ["classic", "quorum"], check: among(true, false), expect: "true or false" },
    "x-delivery-limit": { types: ["quorum"], check: deliveryLimit, expect: deliveryLimitExpect },
    "x-quorum-initial-group-size": { types: ["quorum"], check: posInt, expect: "an integer > 0" },
    "x-queue-leader-locator": {
        types: ALL,
        since: { classic: "4.0" },
        check: among("client-local", "balanced"),
        expect: "client-local or balanced",
    },
    "x-max-age": { types: ["stream"], check: maxAge, expect: MAX_AGE },
    "x-stream-max-segment-size-bytes": { types: ["stream"], check: posInt, expect: "an integer > 0" },
    "x-stream-filter-size-bytes": {
        types: ["stream"],
        since: { stream: "4.0" },
        check: intIn(16, 255),
        expect: "an integer from 16 to 255",
    },
    "x-initial-cluster-size": { types: ["stream"], check: posInt, expect: "an integer > 0" },
    "x-max-in-memory-length": { types: ["quorum"], check: nonNegInt, expect: "an integer >= 0" },
    "x-max-in-memory-bytes": { types: ["quorum"], check: nonNegInt, expect: "an integer >= 0" },
    "x-consumer-timeout": {
        types: ["quorum"],
        since: { quorum: "4.3" },
        check: nonNegInt,
        expect: "an integer >= 0 (milliseconds)",
    },
    "x-queue-version": {
        types: ["classic"],
        // 4.3 refuses version 1 (its storage was removed).
        check: (v, version) => (versionAtLeast(version, "4.3") ? v === 2 : v === 1 || v === 2),
        expect: (version) => (versionAtLeast(version, "4.3") ? "2 (version 1 is gone in RabbitMQ 4.3)" : "1 or 2"),
    },
    "x-queue-mode": {
        types: ["classic"],
        check: among("default", "lazy"),
        expect: "default or lazy",
        noEffect: QUEUE_MODE_GONE,
    },
};

// ---- Exchange and binding arguments -------------------------------------------------------
// The definitions import stores any exchange argument unchecked, but AMQP clients and
// PUT /api/exchanges refuse a non-text alternate-exchange, and the broker ignores it then.

export interface ValueCheck {
    check: (v: unknown) => boolean;
    expect: string;
}
/** Exchange arguments the built-in exchange types (direct, fanout, topic, headers) take. */
export const EXCHANGE_ARGUMENTS: Record<string, ValueCheck> = {
    "alternate-exchange": { check: (v) => typeof v === "string" && v !== "", expect: "an exchange name" },
};
/** Binding arguments the broker checks (4.0+ refuses a bad x-match; other keys of a headers binding are the headers to match). */
export const BINDING_ARGUMENTS: Record<string, ValueCheck> = {
    "x-match": {
        check: among("all", "any", "all-with-x", "any-with-x"),
        expect: "all, any, all-with-x or any-with-x",
    },
};

// ---- Policy definitions -------------------------------------------------------------------
// Every key the broker's policy validators know (rabbit_registry's policy_validator list,
// read from RabbitMQ 3.10.8, 4.0.5 and 4.3.6), with the values each accepted when tried.
// A key the target version does not know is refused by the broker ("are not recognised
// policy settings"), and some bad values crash its API with a 500 (max-age "ten" on 3.10/4.0).

export interface PolicyKeyRule {
    check: (v: unknown, version: string) => boolean;
    expect: string | ((version: string) => string);
    /** The first of burrow's RabbitMQ versions that has the key; older ones refuse it. */
    since?: string;
    /** From this version RabbitMQ refuses the key; `instead` says what to do (`ref` names a setting). */
    removed?: { in: string; instead: (ref: (key: string) => string) => string };
    /** The key exists only with this plugin enabled (burrow:plugins). */
    plugin?: string;
    /** Accepted but ignored from this version on: a warning. */
    noEffect?: { from: string; why: string };
}
const MIRRORING_GONE = {
    in: "4.0",
    instead: (ref: (key: string) => string) =>
        `classic mirrored queues were removed in RabbitMQ 4.0; use quorum queues instead ("type": "quorum" in ${ref("queues")}, replicated across the nodes of ${ref("cluster")}) and remove the ha-* keys`,
};
export const POLICY_KEYS: Record<string, PolicyKeyRule> = {
    "alternate-exchange": { check: str, expect: "an exchange name" },
    "dead-letter-exchange": { check: str, expect: "an exchange name" },
    "dead-letter-routing-key": { check: str, expect: "a routing key" },
    "dead-letter-strategy": { check: among("at-most-once", "at-least-once"), expect: "at-most-once or at-least-once" },
    "delivery-limit": { check: deliveryLimit, expect: deliveryLimitExpect },
    expires: { check: posInt, expect: "an integer > 0 (milliseconds)" },
    "initial-cluster-size": { check: nonNegInt, expect: "an integer >= 0" },
    "max-age": { check: maxAge, expect: MAX_AGE },
    "max-in-memory-bytes": { check: nonNegInt, expect: "an integer >= 0" },
    "max-in-memory-length": { check: nonNegInt, expect: "an integer >= 0" },
    "max-length": { check: nonNegInt, expect: "an integer >= 0" },
    "max-length-bytes": { check: nonNegInt, expect: "an integer >= 0" },
    "message-ttl": { check: nonNegInt, expect: "an integer >= 0 (milliseconds)" },
    overflow: {
        check: among("drop-head", "reject-publish", "reject-publish-dlx"),
        expect: "one of drop-head, reject-publish, reject-publish-dlx",
    },
    "queue-leader-locator": {
        check: among("client-local", "balanced", "random"),
        expect: "client-local, balanced or random",
    },
    "queue-master-locator": {
        check: (v, version) =>
            versionAtLeast(version, "4.0")
                ? ["client-local", "balanced", "min-masters", "random"].includes(v as string)
                : ["client-local", "min-masters", "random"].includes(v as string),
        expect: (version) =>
            versionAtLeast(version, "4.0")
                ? "client-local, balanced, min-masters or random"
                : "client-local, min-masters or random",
        removed: { in: "4.3", instead: () => "RabbitMQ 4.3 refuses this deprecated key; use queue-leader-locator" },
    },
    "queue-mode": { check: among("default", "lazy"), expect: "default or lazy", noEffect: QUEUE_MODE_GONE },
    "queue-version": { check: among(1, 2), expect: "1 or 2" },
    "stream-max-segment-size-bytes": { check: nonNegInt, expect: "an integer >= 0" },
    // Classic queue mirroring (3.x only).
    "ha-mode": { check: among("all", "exactly", "nodes"), expect: "all, exactly or nodes", removed: MIRRORING_GONE },
    "ha-params": {
        check: (v) => posInt(v) || (Array.isArray(v) && v.length > 0 && v.every(str)),
        expect: 'a count > 0 (ha-mode "exactly") or a non-empty list of node names (ha-mode "nodes")',
        removed: MIRRORING_GONE,
    },
    "ha-sync-mode": { check: among("automatic", "manual"), expect: "automatic or manual", removed: MIRRORING_GONE },
    "ha-sync-batch-size": { check: posInt, expect: "an integer > 0", removed: MIRRORING_GONE },
    "ha-promote-on-shutdown": {
        check: among("always", "when-synced"),
        expect: "always or when-synced",
        removed: MIRRORING_GONE,
    },
    "ha-promote-on-failure": {
        check: among("always", "when-synced"),
        expect: "always or when-synced",
        removed: MIRRORING_GONE,
    },
    // New in 4.0 (among burrow's versions).
    "consumer-timeout": { check: nonNegInt, expect: "an integer >= 0 (milliseconds)", since: "4.0" },
    "stream-filter-size-bytes": { check: intIn(16, 255), expect: "an integer from 16 to 255", since: "4.0" },
    "target-group-size": { check: posInt, expect: "an integer > 0", since: "4.0" },
    // New in 4.3.
    "consumer-disconnected-timeout": { check: nonNegInt, expect: "an integer >= 0 (milliseconds)", since: "4.3" },
    "delayed-retry-type": {
        check: among("all", "failed", "returned", "disabled"),
        expect: "all, failed, returned or disabled",
        since: "4.3",
    },
    "delayed-retry-min": { check: posInt, expect: "an integer > 0 (milliseconds)", since: "4.3" },
    "delayed-retry-max": { check: posInt, expect: "an integer > 0 (milliseconds)", since: "4.3" },
    // Plugins' keys.
    "federation-upstream": { check: str, expect: "an upstream name", plugin: "rabbitmq_federation" },
    "federation-upstream-set": {
        check: str,
        expect: 'an upstream set name (or "all")',
        plugin: "rabbitmq_federation",
    },
    "federation-upstream-pattern": {
        check: str,
        expect: "a regular expression over upstream names",
        plugin: "rabbitmq_federation",
    },
    "shards-per-node": { check: nonNegInt, expect: "an integer >= 0", plugin: "rabbitmq_sharding" },
    "routing-key": { check: str, expect: "a routing key", plugin: "rabbitmq_sharding" },
};
/** Policy keys the broker refuses together, or only with another one. */
export const POLICY_KEY_GROUPS = {
    /** At most one of these. */
    exclusive: [["federation-upstream", "federation-upstream-set", "federation-upstream-pattern"]],
    /** The first needs the second. */
    needs: [
        ["ha-params", "ha-mode"],
        ["ha-sync-mode", "ha-mode"],
        ["ha-sync-batch-size", "ha-mode"],
        ["ha-promote-on-shutdown", "ha-mode"],
        ["ha-promote-on-failure", "ha-mode"],
        ["routing-key", "shards-per-node"],
    ],
} as const;
/** Policy targets before RabbitMQ 3.12 (4.0 among burrow's versions): no per-queue-type targets. */
export const POLICY_TARGETS_BEFORE_4 = ["queues", "exchanges", "all"];
