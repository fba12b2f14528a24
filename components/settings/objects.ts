// The objects of issue 15, input and checks: vhosts as objects (metadata, limits), user
// limits and imported password hashes, operator policies, shovels, federation upstreams and
// upstream sets, super streams and global parameters. Each parser checks one object against
// RabbitMQ's rules (rabbitmq-objects.ts) and the rest of the topology, naming the key of each
// problem. parse.ts calls them; nothing here touches Pulumi or the broker.
import { Problems } from "./problems";
import type { ArgumentValue } from "./args";
import { POLICY_KEYS, QUEUE_ARGUMENTS, QUEUE_TYPES, QueueType, versionAtLeast } from "./rabbitmq";
import type { TargetBroker } from "./topology";
import {
    ACK_MODES,
    DEFAULT_HASHING_ALGORITHM,
    FEDERATION_PLUGINS,
    FEDERATION_POLICY_KEYS,
    GLOBAL_PARAMETERS,
    HASHING_ALGORITHMS,
    HASH_SALT_BYTES,
    OPERATOR_POLICY_KEYS,
    OPERATOR_POLICY_TARGETS,
    SHOVEL_PLUGINS,
    SHOVEL_PROTOCOLS,
    SUPER_STREAM_PARTITIONS,
    USER_LIMITS,
    VHOST_LIMITS,
} from "./rabbitmq-objects";
import { BindingSettings, ExchangeSettings, PolicySettings, QueueSettings, SecretInput } from "./types";
import {
    bool,
    controlChars,
    integer,
    isDeferred,
    isObject,
    listOf,
    name,
    nameProblem,
    oneOf,
    parseJsonish,
    regexProblem,
    show,
    unknownFields,
} from "./values";

// ---------------------------------------------------------------- input (BrokerArgs fields)

export type VhostLimitsArgs = { readonly [K in (typeof VHOST_LIMITS)[number]]?: number };
export type UserLimitsArgs = { readonly [K in (typeof USER_LIMITS)[number]]?: number };

/** A vhost with its metadata and limits; a plain string is a vhost of that name with none. */
export interface VhostArgs {
    readonly name: string;
    /** Default none (RabbitMQ's ""). */
    readonly description?: string;
    /** Default none. */
    readonly tags?: string[];
    /** The type of a queue declared without x-queue-type; default none (RabbitMQ's: classic). */
    readonly defaultQueueType?: QueueType;
    /** {"max-connections": 100, "max-queues": 500}; default none (unlimited). */
    readonly limits?: VhostLimitsArgs;
}

/** An operator policy: limits the operator imposes over the applications' own policies. */
export interface OperatorPolicyArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** Regular expression over queue names. */
    readonly pattern: string;
    /** Default "queues"; operator policies apply to queues only. */
    readonly applyTo?: (typeof OPERATOR_POLICY_TARGETS)[number];
    /** Default 0. */
    readonly priority?: number;
    /** Only RabbitMQ's operator-policy keys: expires, message-ttl, max-length, max-length-bytes, delivery-limit, ... */
    readonly definition: Record<string, number | string>;
}

/** One end of a shovel. */
export interface ShovelEndArgs {
    /**
     * amqp(s)://user:password@host:port/vhost (a secret: it holds a password). Default, for
     * AMQP 0-9-1: this broker, in the shovel's own vhost. AMQP 1.0 needs a full URI.
     */
    readonly uri?: SecretInput;
    /** Default "amqp091"; "amqp10" for AMQP 1.0. */
    readonly protocol?: (typeof SHOVEL_PROTOCOLS)[number];
    /** AMQP 0-9-1: a queue (declared if missing), or `exchange` (+ `routingKey`). */
    readonly queue?: string;
    readonly exchange?: string;
    readonly routingKey?: string;
    /** AMQP 1.0: the address, e.g. "/queues/orders". */
    readonly address?: string;
    /** Source only: unacknowledged messages in flight; default RabbitMQ's (1000). */
    readonly prefetchCount?: number;
    /** Destination only (AMQP 0-9-1): add x-shovelled headers; default false. */
    readonly addForwardHeaders?: boolean;
}

/** A dynamic shovel: moves messages from a source to a destination, on this broker or between brokers. */
export interface ShovelArgs {
    readonly name: string;
    /** The vhost the shovel lives in; default "/". */
    readonly vhost?: string;
    readonly source: ShovelEndArgs;
    readonly destination: ShovelEndArgs;
    /** Default "on-confirm" (nothing lost: the source is acked once the destination confirmed). */
    readonly ackMode?: (typeof ACK_MODES)[number];
    /** Default "never"; "queue-length" moves what the source queue holds at start, a number moves that many. Then it deletes itself. */
    readonly deleteAfter?: "never" | "queue-length" | number;
    /** Seconds between reconnection attempts; default RabbitMQ's (5). */
    readonly reconnectDelay?: number;
}

/** A federation upstream: a broker whose exchanges or queues this one federates from. */
export interface FederationUpstreamArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** amqp(s)://user:password@host:port/vhost of the upstream broker (a secret). */
    readonly uri: SecretInput;
    /** Upstream exchange or queue name; default the federated one's own name. */
    readonly exchange?: string;
    readonly queue?: string;
    /** Exchange federation: default 1. */
    readonly maxHops?: number;
    /** Exchange federation: ms the upstream keeps its buffer queue after the link goes; default forever. */
    readonly expires?: number;
    /** Exchange federation: ms a message may wait in the upstream's buffer queue; default forever. */
    readonly messageTtl?: number;
    readonly prefetchCount?: number;
    /** Seconds; default 5. */
    readonly reconnectDelay?: number;
    /** Default "on-confirm". */
    readonly ackMode?: (typeof ACK_MODES)[number];
    readonly trustUserId?: boolean;
}

/** A named set of upstreams, used by a policy's "federation-upstream-set". */
export interface FederationUpstreamSetArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** Upstream names of `federationUpstreams` in the same vhost, or {upstream, exchange, queue}. */
    readonly upstreams: Array<string | { upstream: string; exchange?: string; queue?: string }>;
}

/** A super stream (a partitioned stream): a direct exchange, one stream per partition, a binding each. */
export interface SuperStreamArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** Partitions <name>-0 .. <name>-(N-1), routed by "0".."N-1"; default 3. Excludes `routingKeys`. */
    readonly partitions?: number;
    /** One partition per key, <name>-<key>, routed by the key. Excludes `partitions`. */
    readonly routingKeys?: string[];
    /** Stream arguments of every partition, e.g. {"x-max-age": "7D"}. */
    readonly arguments?: Record<string, ArgumentValue>;
}

/** Global runtime parameters; default none (RabbitMQ's). */
export interface GlobalParametersArgs {
    /** The cluster's name (RabbitMQ's default: the first node's name). */
    readonly cluster_name?: string;
}

// ---------------------------------------------------------------- validated settings

export interface VhostSettings {
    name: string;
    description?: string;
    tags?: string[];
    defaultQueueType?: QueueType;
    /** By RabbitMQ's limit name; empty: none. */
    limits: Record<string, number>;
}

export interface OperatorPolicySettings extends Omit<PolicySettings, "applyTo"> {
    applyTo: (typeof OPERATOR_POLICY_TARGETS)[number];
}

export interface ShovelEnd {
    /** Undefined: RabbitMQ's default, amqp091 (left unset as a hand-made shovel leaves it). */
    protocol?: (typeof SHOVEL_PROTOCOLS)[number];
    /** A secret; undefined: this broker, in the shovel's vhost (AMQP 0-9-1). */
    uri: SecretInput;
    queue?: string;
    exchange?: string;
    routingKey?: string;
    address?: string;
    prefetchCount?: number;
    addForwardHeaders?: boolean;
}

export interface ShovelSettings {
    name: string;
    vhost: string;
    source: ShovelEnd;
    destination: ShovelEnd;
    /** Undefined: RabbitMQ's default, on-confirm. RabbitMQ's defaults stay unset, so a value written by hand round-trips. */
    ackMode?: (typeof ACK_MODES)[number];
    /** Undefined: RabbitMQ's default, "never". */
    deleteAfter?: "never" | "queue-length" | number;
    reconnectDelay?: number;
}

export interface FederationUpstreamSettings {
    name: string;
    vhost: string;
    /** A secret. */
    uri: SecretInput;
    exchange?: string;
    queue?: string;
    maxHops?: number;
    expires?: number;
    messageTtl?: number;
    prefetchCount?: number;
    reconnectDelay?: number;
    /** Undefined: RabbitMQ's default, on-confirm. */
    ackMode?: (typeof ACK_MODES)[number];
    trustUserId?: boolean;
}

export interface FederationUpstreamSetSettings {
    name: string;
    vhost: string;
    upstreams: Array<{ upstream: string; exchange?: string; queue?: string }>;
}

export interface SuperStreamSettings {
    name: string;
    vhost: string;
    /** One partition per key, in partition order. */
    routingKeys: string[];
    arguments: Record<string, ArgumentValue>;
}

// ---------------------------------------------------------------- parsers

/** `vhosts`: names or objects; returns every vhost with its details (a name alone has none). */
export function vhostObjects(p: Problems, v: unknown): VhostSettings[] {
    return listOf(p, "vhosts", v, (key, x) => {
        if (typeof x === "string") return name(p, key, x, "vhost") === undefined ? undefined : { name: x, limits: {} };
        if (!isObject(x))
            return p.add(key, `must be a vhost name or an object like {"name": "shop", "limits": {"max-queues": 100}}`);
        unknownFields(p, key, x, ["name", "description", "tags", "defaultQueueType", "limits"]);
        const n = name(p, `${key}.name`, x.name, "vhost");
        const out: VhostSettings = { name: n ?? "", limits: limits(p, `${key}.limits`, x.limits, VHOST_LIMITS) };
        if (x.description !== undefined) {
            if (typeof x.description !== "string" || controlChars(x.description))
                p.add(`${key}.description`, `is ${show(x.description)}; use text without control characters`);
            else out.description = x.description;
        }
        if (x.tags !== undefined) out.tags = vhostTags(p, `${key}.tags`, x.tags);
        if (x.defaultQueueType !== undefined)
            out.defaultQueueType = oneOf(p, `${key}.defaultQueueType`, x.defaultQueueType, QUEUE_TYPES);
        return n === undefined ? undefined : out;
    });
}

function vhostTags(p: Problems, key: string, v: unknown): string[] {
    const x = parseJsonish(v);
    if (!Array.isArray(x)) return p.add(key, `is ${show(v)}; use a list of tags such as ["prod", "shop"]`) ?? [];
    return x.flatMap((t, i) => {
        if (typeof t === "string" && t.length > 0 && !t.includes(",") && !controlChars(t)) return [t];
        p.add(`${key}[${i}]`, `is ${show(t)}; a tag is non-empty text without commas`);
        return [];
    });
}

/** Limits by RabbitMQ's name: whole numbers >= 0, only the names `allowed`. */
function limits(p: Problems, key: string, v: unknown, allowed: readonly string[]): Record<string, number> {
    const x = parseJsonish(v);
    if (x === undefined) return {};
    if (!isObject(x))
        return (
            p.add(key, `is ${show(v)}; use an object such as {"${allowed[0]}": 100} (keys: ${allowed.join(", ")})`) ??
            {}
        );
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(x)) {
        if (!allowed.includes(k))
            p.add(`${key}.${k}`, `is not a limit RabbitMQ knows here; allowed: ${allowed.join(", ")}`);
        else {
            const parsed = integer(p, `${key}.${k}`, n, 0, 2 ** 31 - 1, k.slice(4));
            if (parsed !== undefined) out[k] = parsed;
        }
    }
    return out;
}

/** A user's `limits`, `passwordHash` and `hashingAlgorithm` (user() in topology.ts reads the rest). */
export function userExtras(
    p: Problems,
    key: string,
    u: Record<string, unknown>,
): { limits: Record<string, number>; passwordHash?: SecretInput; hashingAlgorithm?: string } {
    const out: { limits: Record<string, number>; passwordHash?: SecretInput; hashingAlgorithm?: string } = {
        limits: limits(p, `${key}.limits`, u.limits, USER_LIMITS),
    };
    if (u.passwordHash === undefined) {
        if (u.hashingAlgorithm !== undefined)
            p.add(
                `${key}.hashingAlgorithm`,
                `applies to \`passwordHash\` only; set ${p.ref(`${key}.passwordHash`)} or remove it`,
            );
        return out;
    }
    if (u.password !== undefined)
        p.add(`${key}.passwordHash`, `is set together with ${p.ref(`${key}.password`)}; give one of them`);
    const algorithm = oneOf(
        p,
        `${key}.hashingAlgorithm`,
        u.hashingAlgorithm ?? DEFAULT_HASHING_ALGORITHM,
        Object.keys(HASHING_ALGORITHMS),
    );
    out.hashingAlgorithm = algorithm;
    if (isDeferred(u.passwordHash)) out.passwordHash = u.passwordHash as SecretInput;
    else if (algorithm !== undefined) {
        const bytes =
            typeof u.passwordHash === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(u.passwordHash)
                ? Buffer.from(u.passwordHash, "base64").length
                : -1;
        const want = HASH_SALT_BYTES + HASHING_ALGORITHMS[algorithm].digestBytes;
        if (bytes !== want)
            p.add(
                `${key}.passwordHash`,
                `is not a ${algorithm} hash: RabbitMQ's is base64 of a ${HASH_SALT_BYTES}-byte salt and the ${want - HASH_SALT_BYTES}-byte digest (${want} bytes), as \`GET /api/users\` or a definitions export shows it${p.source === "config" ? " (set it with --secret)" : ""}`,
            );
        else out.passwordHash = u.passwordHash as string;
    }
    return out;
}

/** An expectation that may depend on the version (RabbitMQ's rule tables). */
const expectOf = (spec: { expect: string | ((v: string) => string) }, version: string) =>
    typeof spec.expect === "string" ? spec.expect : spec.expect(version);

export function operatorPolicy(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    broker: TargetBroker,
): OperatorPolicySettings | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"name": "cap", "pattern": ".*", "definition": {"max-length": 100000}}`,
        );
    unknownFields(p, key, v, ["name", "vhost", "pattern", "applyTo", "priority", "definition"]);
    const n = name(p, `${key}.name`, v.name, "policy name");
    const vhost = vhostIn(p, `${key}.vhost`, v.vhost, vhosts);
    const patternProblem = regexProblem(v.pattern);
    if (patternProblem) p.add(`${key}.pattern`, patternProblem);
    const applyTo = oneOf(p, `${key}.applyTo`, v.applyTo ?? "queues", OPERATOR_POLICY_TARGETS);
    const priority = integer(p, `${key}.priority`, v.priority ?? 0, -1000, 1000, "priority");
    const definition = parseJsonish(v.definition);
    let ok = isObject(definition) && Object.keys(definition).length > 0;
    if (!ok)
        p.add(
            `${key}.definition`,
            `is ${show(v.definition)}; an operator policy needs keys such as {"max-length": 100000}`,
        );
    for (const [k, val] of Object.entries(isObject(definition) ? definition : {})) {
        const rule = POLICY_KEYS[k];
        if (!(OPERATOR_POLICY_KEYS as readonly string[]).includes(k) || !rule) {
            ok = false;
            p.add(
                `${key}.definition.${k}`,
                `is not a key RabbitMQ lets an operator policy set; allowed: ${OPERATOR_POLICY_KEYS.join(", ")} (use ${p.ref("policies")} for the rest)`,
            );
        } else if (rule.since && !versionAtLeast(broker.version, rule.since)) {
            ok = false;
            p.add(
                `${key}.definition.${k}`,
                `is not an operator-policy key of RabbitMQ ${broker.version} (${broker.from}); it arrived in ${rule.since}`,
            );
        } else if (!rule.check(val, broker.version)) {
            ok = false;
            p.add(`${key}.definition.${k}`, `is ${show(val)}; expected ${expectOf(rule, broker.version)}`);
        }
    }
    if (
        n === undefined ||
        vhost === undefined ||
        patternProblem ||
        applyTo === undefined ||
        priority === undefined ||
        !ok
    )
        return undefined;
    return {
        name: n,
        vhost,
        pattern: v.pattern as string,
        applyTo,
        priority,
        definition: definition as Record<string, unknown>,
    };
}

function vhostIn(p: Problems, key: string, v: unknown, known: Set<string>): string | undefined {
    const vh = v ?? "/";
    if (typeof vh === "string" && known.has(vh)) return vh;
    return p.add(key, `names vhost ${show(v)}, which is not declared; declare it in ${p.ref("vhosts")} or use "/"`);
}

/** A URI as shovels and federation take it: amqp(s)://, with a host unless `local` allows this broker ("amqp://"). */
function amqpUri(p: Problems, key: string, v: unknown, needsHost: boolean): SecretInput | undefined {
    if (isDeferred(v)) return v as SecretInput;
    const bad = (why: string) =>
        p.add(
            key,
            `${why}; use amqp://user:password@host:5672/vhost (or amqps://)${p.source === "config" ? ", set with --secret" : ""}`,
        );
    if (typeof v !== "string" || controlChars(v) || /\s/.test(v)) return bad(`is not a URI`);
    let u: URL;
    try {
        u = new URL(v);
    } catch {
        return bad("is not a URI");
    }
    if (u.protocol !== "amqp:" && u.protocol !== "amqps:") return bad(`has scheme "${u.protocol}"`);
    if (needsHost && !u.hostname) return bad("has no host (AMQP 1.0 needs a full URI)");
    return v;
}

/** The URI of this broker, in a vhost, as a shovel's AMQP 0-9-1 end takes it. */
export const localUri = (vhost: string) => (vhost === "/" ? "amqp://" : `amqp:///${encodeURIComponent(vhost)}`);

function shovelEnd(
    p: Problems,
    key: string,
    v: unknown,
    role: "source" | "destination",
    vhost: string,
): ShovelEnd | undefined {
    if (!isObject(v))
        return p.add(key, `must be an object like {"queue": "orders"} or {"uri": "amqp://...", "queue": "orders"}`);
    const fields = [
        "uri",
        "protocol",
        "queue",
        "exchange",
        "routingKey",
        "address",
        role === "source" ? "prefetchCount" : "addForwardHeaders",
    ];
    unknownFields(p, key, v, fields);
    const protocol = v.protocol === undefined ? undefined : oneOf(p, `${key}.protocol`, v.protocol, SHOVEL_PROTOCOLS);
    if (v.protocol !== undefined && protocol === undefined) return undefined;
    const amqp10 = protocol === "amqp10";
    if (amqp10 && v.uri === undefined) p.add(`${key}.uri`, "is required for AMQP 1.0 (amqp://user:password@host:5672)");
    const uri = v.uri === undefined ? localUri(vhost) : amqpUri(p, `${key}.uri`, v.uri, amqp10);
    const out: ShovelEnd = { ...(protocol ? { protocol } : {}), uri: uri ?? "" };
    const str = (f: "queue" | "exchange" | "routingKey" | "address") => {
        if (v[f] === undefined) return;
        if (f === "routingKey" ? typeof v[f] === "string" : nameProblem(v[f], f) === undefined) out[f] = v[f] as string;
        else p.add(`${key}.${f}`, `is ${show(v[f])}; use a non-empty name`);
    };
    (["queue", "exchange", "routingKey", "address"] as const).forEach(str);
    if (amqp10) {
        for (const f of ["queue", "exchange", "routingKey"] as const)
            if (v[f] !== undefined)
                p.add(
                    `${key}.${f}`,
                    `is AMQP 0-9-1 only; with protocol amqp10 use \`address\` (e.g. "/queues/orders")`,
                );
        if (v.address === undefined)
            p.add(`${key}.address`, `is required with protocol amqp10 (e.g. "/queues/orders")`);
    } else {
        if (v.address !== undefined)
            p.add(`${key}.address`, "is AMQP 1.0 only; use `queue` or `exchange` with protocol amqp091");
        if (v.queue !== undefined && v.exchange !== undefined)
            p.add(key, "sets both `queue` and `exchange`; a shovel end is one of them");
        if (role === "source" && v.queue === undefined && v.exchange === undefined)
            p.add(
                key,
                "needs `queue` (move a queue's messages) or `exchange` (+ `routingKey`: what is published to it from now on)",
            );
        if (v.routingKey !== undefined && v.exchange === undefined)
            p.add(`${key}.routingKey`, "applies with `exchange` only");
    }
    if (role === "source" && v.prefetchCount !== undefined)
        out.prefetchCount = integer(p, `${key}.prefetchCount`, v.prefetchCount, 1, 65535, "messages");
    if (role === "destination" && v.addForwardHeaders !== undefined)
        out.addForwardHeaders = bool(p, `${key}.addForwardHeaders`, v.addForwardHeaders);
    return uri === undefined ? undefined : out;
}

export function shovel(p: Problems, key: string, v: unknown, vhosts: Set<string>): ShovelSettings | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"name": "move", "source": {"queue": "a"}, "destination": {"uri": "amqp://...", "queue": "b"}}`,
        );
    unknownFields(p, key, v, ["name", "vhost", "source", "destination", "ackMode", "deleteAfter", "reconnectDelay"]);
    const n = name(p, `${key}.name`, v.name, "shovel name");
    const vhost = vhostIn(p, `${key}.vhost`, v.vhost, vhosts);
    const source = shovelEnd(p, `${key}.source`, v.source, "source", vhost ?? "/");
    const destination = shovelEnd(p, `${key}.destination`, v.destination, "destination", vhost ?? "/");
    const ackMode = v.ackMode === undefined ? undefined : oneOf(p, `${key}.ackMode`, v.ackMode, ACK_MODES);
    let deleteAfter: ShovelSettings["deleteAfter"] | undefined;
    const d = v.deleteAfter;
    if (d === undefined || d === "never" || d === "queue-length") deleteAfter = d;
    else if (Number.isInteger(d) && (d as number) > 0) deleteAfter = d as number;
    else
        deleteAfter = p.add(
            `${key}.deleteAfter`,
            `is ${show(d)}; use "never", "queue-length" or a number of messages > 0`,
        );
    if (deleteAfter === "queue-length" && source && (source.protocol === "amqp10" || source.queue === undefined))
        p.add(`${key}.deleteAfter`, `"queue-length" needs an AMQP 0-9-1 source queue`);
    const reconnectDelay =
        v.reconnectDelay === undefined
            ? undefined
            : integer(p, `${key}.reconnectDelay`, v.reconnectDelay, 0, 3600, "seconds");
    const bad = (v.ackMode !== undefined && !ackMode) || (d !== undefined && deleteAfter === undefined);
    if (n === undefined || vhost === undefined || !source || !destination || bad) return undefined;
    return {
        name: n,
        vhost,
        source,
        destination,
        ...(ackMode ? { ackMode } : {}),
        ...(deleteAfter !== undefined ? { deleteAfter } : {}),
        ...(reconnectDelay !== undefined ? { reconnectDelay } : {}),
    };
}

export function federationUpstream(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
): FederationUpstreamSettings | undefined {
    if (!isObject(v))
        return p.add(key, `must be an object like {"name": "origin", "uri": "amqp://user:password@host:5672"}`);
    const fields = [
        "name",
        "vhost",
        "uri",
        "exchange",
        "queue",
        "maxHops",
        "expires",
        "messageTtl",
        "prefetchCount",
        "reconnectDelay",
        "ackMode",
        "trustUserId",
    ];
    unknownFields(p, key, v, fields);
    const n = name(p, `${key}.name`, v.name, "upstream name");
    const vhost = vhostIn(p, `${key}.vhost`, v.vhost, vhosts);
    const uri =
        v.uri === undefined
            ? p.add(`${key}.uri`, "is required: the upstream broker's amqp://user:password@host:port/vhost")
            : amqpUri(p, `${key}.uri`, v.uri, false);
    const out: Partial<FederationUpstreamSettings> = { name: n, vhost, uri };
    for (const f of ["exchange", "queue"] as const)
        if (v[f] !== undefined) out[f] = name(p, `${key}.${f}`, v[f], `${f} name`);
    const num = (
        f: "maxHops" | "expires" | "messageTtl" | "prefetchCount" | "reconnectDelay",
        min: number,
        unit: string,
    ) => {
        if (v[f] !== undefined) out[f] = integer(p, `${key}.${f}`, v[f], min, 2 ** 31 - 1, unit);
    };
    num("maxHops", 1, "hops");
    num("expires", 1, "milliseconds");
    num("messageTtl", 0, "milliseconds");
    num("prefetchCount", 1, "messages");
    num("reconnectDelay", 0, "seconds");
    if (v.ackMode !== undefined) out.ackMode = oneOf(p, `${key}.ackMode`, v.ackMode, ACK_MODES);
    if (v.trustUserId !== undefined) out.trustUserId = bool(p, `${key}.trustUserId`, v.trustUserId);
    if (n === undefined || vhost === undefined || uri === undefined || (v.ackMode !== undefined && !out.ackMode))
        return undefined;
    return Object.fromEntries(
        Object.entries(out).filter(([, x]) => x !== undefined),
    ) as unknown as FederationUpstreamSettings;
}

export function federationUpstreamSet(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    upstreams: FederationUpstreamSettings[],
): FederationUpstreamSetSettings | undefined {
    if (!isObject(v)) return p.add(key, `must be an object like {"name": "origins", "upstreams": ["a", "b"]}`);
    unknownFields(p, key, v, ["name", "vhost", "upstreams"]);
    const n = name(p, `${key}.name`, v.name, "upstream set name");
    const vhost = vhostIn(p, `${key}.vhost`, v.vhost, vhosts);
    const members = listOf(p, `${key}.upstreams`, v.upstreams, (k, m) => {
        const o = typeof m === "string" ? { upstream: m } : m;
        if (!isObject(o)) return p.add(k, `must be an upstream name or {"upstream": "a", "exchange": "x"}`);
        unknownFields(p, k, o, ["upstream", "exchange", "queue"]);
        const up = name(p, `${k}.upstream`, o.upstream, "upstream name");
        if (up !== undefined && vhost !== undefined && !upstreams.some((u) => u.vhost === vhost && u.name === up))
            p.add(
                `${k}.upstream`,
                `names upstream "${up}", which is not declared in vhost "${vhost}"; declare it in ${p.ref("federationUpstreams")}`,
            );
        const out: { upstream: string; exchange?: string; queue?: string } = { upstream: up ?? "" };
        for (const f of ["exchange", "queue"] as const)
            if (o[f] !== undefined) out[f] = name(p, `${k}.${f}`, o[f], `${f} name`);
        return up === undefined ? undefined : out;
    });
    if (members.length === 0 && Array.isArray(parseJsonish(v.upstreams)))
        p.add(`${key}.upstreams`, "is empty; list at least one upstream");
    if (n === undefined || vhost === undefined || members.length === 0) return undefined;
    return { name: n, vhost, upstreams: members };
}

/**
 * When burrow declares federation upstreams, a policy's federation keys must name an
 * upstream or set declared in its vhost (or the set "all"). Without any, the upstreams may be
 * made elsewhere (by hand, with the plugin in burrow:plugins): nothing to check against.
 */
export function checkFederationRefs(
    p: Problems,
    policies: PolicySettings[],
    upstreams: FederationUpstreamSettings[],
    sets: FederationUpstreamSetSettings[],
) {
    if (upstreams.length === 0 && sets.length === 0) return;
    policies.forEach((pol, i) => {
        const key = `policies[${i}].definition`;
        const [one, set] = FEDERATION_POLICY_KEYS.map((k) => pol.definition[k]);
        if (one !== undefined && set !== undefined)
            p.add(key, `sets both "federation-upstream" and "federation-upstream-set"; RabbitMQ takes one`);
        if (one !== undefined && !upstreams.some((u) => u.vhost === pol.vhost && u.name === one))
            p.add(
                `${key}.federation-upstream`,
                `names upstream ${show(one)}, which is not declared in vhost "${pol.vhost}"; declare it in ${p.ref("federationUpstreams")}`,
            );
        if (set !== undefined && set !== "all" && !sets.some((s) => s.vhost === pol.vhost && s.name === set))
            p.add(
                `${key}.federation-upstream-set`,
                `names set ${show(set)}, which is not declared in vhost "${pol.vhost}"; declare it in ${p.ref("federationUpstreamSets")} or use "all"`,
            );
    });
}

export function superStream(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    broker: TargetBroker,
): SuperStreamSettings | undefined {
    if (!isObject(v)) return p.add(key, `must be an object like {"name": "invoices", "partitions": 3}`);
    unknownFields(p, key, v, ["name", "vhost", "partitions", "routingKeys", "arguments"]);
    const n = name(p, `${key}.name`, v.name, "super stream name");
    const vhost = vhostIn(p, `${key}.vhost`, v.vhost, vhosts);
    let routingKeys: string[] | undefined;
    if (v.partitions !== undefined && v.routingKeys !== undefined)
        p.add(key, "sets both `partitions` and `routingKeys`; give one of them");
    else if (v.routingKeys !== undefined) {
        const keys = parseJsonish(v.routingKeys);
        if (
            !Array.isArray(keys) ||
            keys.length === 0 ||
            keys.some((k) => typeof k !== "string" || k === "" || controlChars(k))
        )
            p.add(
                `${key}.routingKeys`,
                `is ${show(v.routingKeys)}; use a non-empty list of routing keys such as ["eu", "us"]`,
            );
        else if (new Set(keys).size !== keys.length) p.add(`${key}.routingKeys`, "lists a routing key twice");
        else routingKeys = keys as string[];
    } else {
        const count = integer(p, `${key}.partitions`, v.partitions ?? SUPER_STREAM_PARTITIONS, 1, 1000, "partitions");
        if (count !== undefined) routingKeys = Array.from({ length: count }, (_, i) => String(i));
    }
    const args = parseJsonish(v.arguments) ?? {};
    const out: Record<string, ArgumentValue> = {};
    if (!isObject(args)) p.add(`${key}.arguments`, `is ${show(v.arguments)}; use an object of stream arguments`);
    else
        for (const [k, val] of Object.entries(args)) {
            const spec = QUEUE_ARGUMENTS[k];
            if (k === "x-queue-type" || !spec || !spec.types.includes("stream"))
                p.add(
                    `${key}.arguments.${k}`,
                    `is not a stream argument; known: ${Object.keys(QUEUE_ARGUMENTS)
                        .filter((a) => QUEUE_ARGUMENTS[a].types.includes("stream"))
                        .join(", ")}`,
                );
            else if (!spec.check(val, broker.version))
                p.add(`${key}.arguments.${k}`, `is ${show(val)}; expected ${expectOf(spec, broker.version)}`);
            else out[k] = val as ArgumentValue;
        }
    if (n !== undefined && routingKeys)
        for (const rk of routingKeys) {
            const problem = nameProblem(`${n}-${rk}`, "partition name");
            if (problem) {
                p.add(
                    `${key}.name`,
                    `makes partition "${n}-${rk}", which ${problem.replace(/^is \S+; /, "is too long: ")}`,
                );
                break;
            }
        }
    if (n === undefined || vhost === undefined || !routingKeys) return undefined;
    return { name: n, vhost, routingKeys, arguments: out };
}

/** What a super stream is on the broker: its exchange, one stream per partition, and their bindings (as RabbitMQ's stream plugin makes them). */
export function superStreamParts(s: SuperStreamSettings): {
    exchange: ExchangeSettings;
    queues: QueueSettings[];
    bindings: BindingSettings[];
} {
    return {
        exchange: {
            name: s.name,
            vhost: s.vhost,
            type: "direct",
            durable: true,
            autoDelete: false,
            internal: false,
            arguments: { "x-super-stream": true },
        },
        queues: s.routingKeys.map((rk) => ({
            name: `${s.name}-${rk}`,
            vhost: s.vhost,
            type: "stream" as const,
            durable: true,
            autoDelete: false,
            arguments: { ...s.arguments },
            smoke: false,
        })),
        bindings: s.routingKeys.map((rk, i) => ({
            vhost: s.vhost,
            source: s.name,
            destination: `${s.name}-${rk}`,
            destinationType: "queue" as const,
            routingKey: rk,
            arguments: { "x-stream-partition-order": i },
        })),
    };
}

export function globalParameters(p: Problems, v: unknown): Record<string, string> {
    const x = parseJsonish(v);
    if (x === undefined) return {};
    if (!isObject(x))
        return p.add("globalParameters", `is ${show(v)}; use an object such as {"cluster_name": "orders-prod"}`) ?? {};
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(x)) {
        const spec = GLOBAL_PARAMETERS[k];
        if (!spec)
            p.add(
                `globalParameters.${k}`,
                `is not a global parameter burrow sets; known: ${Object.keys(GLOBAL_PARAMETERS).join(", ")}`,
            );
        else if (!spec.check(val)) p.add(`globalParameters.${k}`, `is ${show(val)}; expected ${spec.expect}`);
        else out[k] = val as string;
    }
    return out;
}

/** The plugins the declared objects need, added to the configured ones (each once). */
export function withObjectPlugins(plugins: string[], shovels: unknown[], upstreams: unknown[]): string[] {
    const out = [...plugins];
    const need = [...(shovels.length > 0 ? SHOVEL_PLUGINS : []), ...(upstreams.length > 0 ? FEDERATION_PLUGINS : [])];
    for (const x of need) if (!out.includes(x)) out.push(x);
    return out;
}
