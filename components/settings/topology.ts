// What the broker holds: vhosts, users and their permissions, queues, exchanges, bindings
// and policies. Each parser checks one object against RabbitMQ's rules (rabbitmq.ts) and
// the rest of the topology (a binding's ends must be declared, a vhost must exist).
import { userExtras } from "./objects";
import { Problems } from "./problems";
import {
    ArgCheck,
    BINDING_ARGUMENTS,
    BUILT_IN_EXCHANGES,
    DebianRelease,
    EXCHANGE_ARGUMENTS,
    EXCHANGE_TYPES,
    POLICY_KEYS,
    POLICY_KEY_GROUPS,
    POLICY_TARGETS,
    POLICY_TARGETS_BEFORE_4,
    PolicyKeyRule,
    QUEUE_ARGUMENTS,
    QUEUE_TYPES,
    QueueType,
    RELEASE_VERSIONS,
    USER_TAGS,
    ValueCheck,
    releaseWith,
    versionAtLeast,
} from "./rabbitmq";
import {
    BindingSettings,
    ClusterSettings,
    ExchangeSettings,
    Permission,
    PolicySettings,
    QueueSettings,
    TopicPermission,
    UserSettings,
} from "./types";
import {
    bool,
    integer,
    isObject,
    name,
    oneOf,
    parseJsonish,
    password,
    regexProblem,
    show,
    unknownFields,
    listOf,
} from "./values";

export function tags(p: Problems, key: string, v: unknown): string[] {
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

export function vhostRef(p: Problems, key: string, v: unknown, known: Set<string>): string | undefined {
    const vh = v ?? "/";
    if (typeof vh === "string" && known.has(vh)) return vh;
    return p.add(key, `names vhost ${show(v)}, which is not declared; declare it in ${p.ref("vhosts")} or use "/"`);
}

export function permission(p: Problems, key: string, v: unknown, vhosts: Set<string>): Permission | undefined {
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

export function topicPermission(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
): TopicPermission | undefined {
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

export function user(
    p: Problems,
    key: string,
    u: unknown,
    knownVhosts: Set<string>,
    adminName: string,
): UserSettings | undefined {
    if (!isObject(u)) return p.add(key, "must be an object like {name, password, tags, permissions}");
    unknownFields(p, key, u, [
        "name",
        "password",
        "tags",
        "permissions",
        "topicPermissions",
        "limits",
        "passwordHash",
        "hashingAlgorithm",
    ]);
    const extras = userExtras(p, key, u);
    const n = name(p, `${key}.name`, u.name, "user name");
    if (n !== undefined && n === adminName)
        p.add(`${key}.name`, `"${n}" is the admin user; set it with ${p.ref("adminUser")}`);
    const permissions = listOf(p, `${key}.permissions`, u.permissions, (k, x) => permission(p, k, x, knownVhosts));
    const topicPermissions = listOf(p, `${key}.topicPermissions`, u.topicPermissions, (k, x) =>
        topicPermission(p, k, x, knownVhosts),
    );
    if (n === undefined) return undefined;
    return {
        name: n,
        password: password(p, `${key}.password`, u.password) as UserSettings["password"],
        tags: tags(p, `${key}.tags`, u.tags ?? []),
        permissions,
        topicPermissions,
        ...(Object.keys(extras.limits).length > 0 ? { limits: extras.limits } : {}),
        ...(extras.passwordHash !== undefined
            ? { passwordHash: extras.passwordHash, hashingAlgorithm: extras.hashingAlgorithm }
            : {}),
    };
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

export function queue(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    defaultType: QueueType,
    cluster?: ClusterSettings,
    broker: TargetBroker = DEFAULT_BROKER,
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
    queueArgumentProblems(p, `${key}.arguments`, a, type, broker);
    if (
        n === undefined ||
        vhost === undefined ||
        type === undefined ||
        durable === undefined ||
        autoDelete === undefined ||
        smoke === undefined
    )
        return undefined;
    if (
        cluster &&
        typeof a["x-quorum-initial-group-size"] === "number" &&
        a["x-quorum-initial-group-size"] > cluster.nodes
    ) {
        p.add(
            `${key}.arguments.x-quorum-initial-group-size`,
            `is ${a["x-quorum-initial-group-size"]}, more than the ${cluster.nodes} nodes of ${p.ref("cluster")}`,
        );
    }
    return { name: n, vhost, type, durable, autoDelete, arguments: a, smoke };
}

export function exchange(p: Problems, key: string, v: unknown, vhosts: Set<string>): ExchangeSettings | undefined {
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
    exchangeArgumentProblems(p, `${key}.arguments`, a);
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

/** One object's key in a declaredIndex(): its vhost and name. */
const objectKey = (vhost: string, name: string) => JSON.stringify([vhost, name]);

/** The declared queues and exchanges, for bindings to look up their ends. */
export function declaredIndex(queues: QueueSettings[], exchanges: ExchangeSettings[]) {
    return {
        queues: new Set(queues.map((q) => objectKey(q.vhost, q.name))),
        exchanges: new Set(exchanges.map((x) => objectKey(x.vhost, x.name))),
    };
}

export function binding(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    /** The declared queues and exchanges, as declaredIndex() makes them (a lookup per binding, not a scan). */
    declared: { queues: Set<string>; exchanges: Set<string> },
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
    bindingArgumentProblems(p, `${key}.arguments`, a);
    const declaredExchange = (x: string) =>
        BUILT_IN_EXCHANGES.includes(x) || declared.exchanges.has(objectKey(vhost ?? "/", x));
    if (vhost !== undefined && source !== undefined && !declaredExchange(source)) {
        p.add(
            `${key}.source`,
            `names exchange "${source}", which is not declared in vhost "${vhost}"; declare it in ${p.ref("exchanges")}`,
        );
    }
    if (vhost !== undefined && destination !== undefined && destinationType !== undefined) {
        const ok =
            destinationType === "queue"
                ? declared.queues.has(objectKey(vhost, destination))
                : declaredExchange(destination);
        if (!ok) {
            p.add(
                `${key}.destination`,
                `names ${destinationType} "${destination}", which is not declared in vhost "${vhost}"; declare it in ${p.ref(`${destinationType}s`)}`,
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

export function policy(
    p: Problems,
    key: string,
    v: unknown,
    vhosts: Set<string>,
    broker: TargetBroker = DEFAULT_BROKER,
): PolicySettings | undefined {
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
    } else policyDefinitionProblems(p, key, definition, applyTo, broker);
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

// ---- What the target RabbitMQ version accepts ----------------------------------------------
// The checks below refuse at preview what the broker would refuse at up (or accept and then
// ignore), by the tables in rabbitmq.ts and the version `burrow:debianRelease` (or a pinned
// `burrow:rabbitmqVersion`) brings.

/** The RabbitMQ the settings are checked against. */
export interface TargetBroker {
    /** "4.0.5" */
    version: string;
    /** Where the version comes from, as messages name it: "`burrow:debianRelease` trixie". */
    from: string;
    /** Enabled plugins (burrow:plugins, with rabbitmq_management). */
    plugins: string[];
    /** Settings the broker accepts but ignores: said as warnings, not refused. */
    warnings: string[];
}

const DEFAULT_RELEASE: DebianRelease = "trixie";
/** Checks without a stated target (a caller that passes none) assume the default release. */
export const DEFAULT_BROKER: TargetBroker = {
    version: RELEASE_VERSIONS[DEFAULT_RELEASE].rabbitmq,
    from: `the default release, ${DEFAULT_RELEASE}`,
    plugins: ["rabbitmq_management"],
    warnings: [],
};

/** The RabbitMQ version a pinned package version brings ("1:4.0.5-6+deb13u2" -> "4.0.5"). */
export function upstreamVersion(packageVersion: string): string | undefined {
    return /^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)/.exec(packageVersion)?.[1];
}

/** The broker the topology is checked against: the release's RabbitMQ, or a pinned version. */
export function targetBroker(
    p: Problems,
    release: DebianRelease | undefined,
    pinned: unknown,
    plugins: string[],
    warnings: string[],
): TargetBroker {
    const pin = typeof pinned === "string" && pinned !== "" ? upstreamVersion(pinned) : undefined;
    if (pin) return { version: pin, from: `${p.ref("rabbitmqVersion")} ${pinned}`, plugins, warnings };
    const r = release ?? DEFAULT_RELEASE;
    return {
        version: RELEASE_VERSIONS[r].rabbitmq,
        from: `${p.ref("debianRelease")} ${r}`,
        plugins,
        warnings,
    };
}

/** "RabbitMQ 4.0.5 (`burrow:debianRelease` trixie)" */
const rabbit = (b: TargetBroker) => `RabbitMQ ${b.version} (${b.from})`;
/** "RabbitMQ 4.0 or later (`burrow:debianRelease` trixie brings 4.0.5)" */
function rabbitFrom(p: Problems, min: string): string {
    const r = releaseWith(min);
    return r
        ? `RabbitMQ ${min} or later (${p.ref("debianRelease")} ${r} brings ${RELEASE_VERSIONS[r].rabbitmq})`
        : `RabbitMQ ${min} or later`;
}
const expectOf = (spec: { expect: string | ((v: string) => string) }, version: string) =>
    typeof spec.expect === "string" ? spec.expect : spec.expect(version);

/** "is "ten"; expected an integer >= 0", with a hint when a number was written as text. */
function badValue(v: unknown, expect: string): string {
    const quotedNumber = typeof v === "string" && v.trim() !== "" && !isNaN(Number(v));
    return `is ${show(v)}; expected ${expect}${quotedNumber ? " (a number, written without quotes)" : ""}`;
}

/** A near miss among known keys ("max-lenght" -> "max-length"), for "did you mean". */
function nearest(key: string, known: string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++)
            for (let j = 1; j <= b.length; j++)
                d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        return d[a.length][b.length];
    };
    const best = known.map((k) => [k, distance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
    return best && best[1] <= 2 ? best[0] : undefined;
}

/** Queue arguments against the queue type and the target version (QUEUE_ARGUMENTS). */
export function queueArgumentProblems(
    p: Problems,
    key: string,
    a: Record<string, unknown>,
    type: QueueType | undefined,
    broker: TargetBroker = DEFAULT_BROKER,
): void {
    const queueKey = key.replace(/\.arguments$/, "");
    for (const [k, val] of Object.entries(a)) {
        const at = `${key}.${k}`;
        if (k === "x-queue-type") {
            p.add(at, `is set by ${p.ref(`${queueKey}.type`)}; remove it from arguments`);
            continue;
        }
        const spec: ArgCheck | undefined = QUEUE_ARGUMENTS[k];
        if (!spec) {
            const near = nearest(k, Object.keys(QUEUE_ARGUMENTS));
            p.add(
                at,
                `is not a queue argument burrow knows${near ? ` (did you mean ${near}?)` : ""}; known: ${Object.keys(QUEUE_ARGUMENTS).join(", ")}`,
            );
            continue;
        }
        if (type && !spec.types.includes(type)) {
            p.add(at, `does not apply to ${type} queues (only ${spec.types.join(", ")})`);
            continue;
        }
        const since = type ? spec.since?.[type] : undefined;
        if (since && !versionAtLeast(broker.version, since)) {
            p.add(at, `does not apply to ${type} queues on ${rabbit(broker)}; it needs ${rabbitFrom(p, since)}`);
            continue;
        }
        if (!spec.check(val, broker.version)) {
            p.add(at, badValue(val, expectOf(spec, broker.version)));
            continue;
        }
        if (spec.needs && !(spec.needs in a)) p.add(at, `needs ${spec.needs} in the same arguments`);
        if (spec.noEffect && versionAtLeast(broker.version, spec.noEffect.from))
            broker.warnings.push(`${p.ref(at)} has no effect on ${rabbit(broker)}: ${spec.noEffect.why}; remove it`);
    }
}

/** Exchange arguments: the built-in types take alternate-exchange only, as text. */
export function exchangeArgumentProblems(p: Problems, key: string, a: Record<string, unknown>): void {
    for (const [k, val] of Object.entries(a)) {
        const spec: ValueCheck | undefined = EXCHANGE_ARGUMENTS[k];
        if (!spec)
            p.add(
                `${key}.${k}`,
                `is not an exchange argument burrow knows; known: ${Object.keys(EXCHANGE_ARGUMENTS).join(", ")}`,
            );
        else if (!spec.check(val)) p.add(`${key}.${k}`, badValue(val, spec.expect));
    }
}

/** Binding arguments the broker checks (x-match); the others of a headers binding are the headers to match. */
export function bindingArgumentProblems(p: Problems, key: string, a: Record<string, unknown>): void {
    for (const [k, val] of Object.entries(a)) {
        const spec: ValueCheck | undefined = BINDING_ARGUMENTS[k];
        if (spec && !spec.check(val)) p.add(`${key}.${k}`, badValue(val, spec.expect));
    }
}

/**
 * A policy's definition and target against the target version (POLICY_KEYS): unknown keys,
 * keys the version does not have yet or no longer has (ha-* on 4.x), plugin keys without
 * their plugin, value types, and keys the broker takes only together or apart.
 */
export function policyDefinitionProblems(
    p: Problems,
    key: string,
    definition: Record<string, unknown>,
    applyTo: string | undefined,
    broker: TargetBroker = DEFAULT_BROKER,
): void {
    const v = broker.version;
    if (applyTo && !versionAtLeast(v, "4.0") && !POLICY_TARGETS_BEFORE_4.includes(applyTo)) {
        p.add(
            `${key}.applyTo`,
            `is "${applyTo}", which ${rabbit(broker)} does not know; use ${POLICY_TARGETS_BEFORE_4.join(", ")}, or ${rabbitFrom(p, "4.0")}`,
        );
    }
    const at = (k: string) => `${key}.definition.${k}`;
    const removed = new Map<string, string[]>();
    for (const [k, val] of Object.entries(definition)) {
        const rule: PolicyKeyRule | undefined = POLICY_KEYS[k];
        if (!rule) {
            const known = Object.keys(POLICY_KEYS)
                .filter((x) => usable(POLICY_KEYS[x], v))
                .filter((x) => !POLICY_KEYS[x].plugin || broker.plugins.includes(POLICY_KEYS[x].plugin!))
                .sort();
            const near = nearest(k, known);
            p.add(
                at(k),
                `is not a policy key ${rabbit(broker)} knows${near ? ` (did you mean ${near}?)` : ""}; known: ${known.join(", ")}`,
            );
        } else if (rule.removed && versionAtLeast(v, rule.removed.in)) {
            const instead = rule.removed.instead((x) => p.ref(x));
            removed.set(instead, [...(removed.get(instead) ?? []), k]);
        } else if (rule.since && !versionAtLeast(v, rule.since)) {
            p.add(at(k), `is not a policy key of ${rabbit(broker)}; it needs ${rabbitFrom(p, rule.since)}`);
        } else if (rule.plugin && !broker.plugins.includes(rule.plugin)) {
            p.add(at(k), `needs the ${rule.plugin} plugin; add it to ${p.ref("plugins")}`);
        } else if (!rule.check(val, v)) {
            p.add(at(k), badValue(val, expectOf(rule, v)));
        } else if (rule.noEffect && versionAtLeast(v, rule.noEffect.from)) {
            broker.warnings.push(`${p.ref(at(k))} has no effect on ${rabbit(broker)}: ${rule.noEffect.why}; remove it`);
        }
    }
    for (const [instead, keys] of removed) {
        const also = keys.length > 1 ? ` (and ${keys.slice(1).join(", ")})` : "";
        p.add(at(keys[0]), `${also ? `${also.trim()} ` : ""}is not a policy key of ${rabbit(broker)}: ${instead}`);
    }
    const has = (k: string) => k in definition && POLICY_KEYS[k] !== undefined && usable(POLICY_KEYS[k], v);
    for (const group of POLICY_KEY_GROUPS.exclusive) {
        const set = group.filter(has);
        if (set.length > 1)
            p.add(`${key}.definition`, `sets ${set.join(" and ")}; RabbitMQ takes only one of ${group.join(", ")}`);
    }
    for (const [k, needed] of POLICY_KEY_GROUPS.needs) {
        if (has(k) && !has(needed)) p.add(at(k), `needs ${needed} in the same definition`);
    }
    // Classic mirroring (3.x): the count or node list must match the mode.
    const mode = definition["ha-mode"];
    const params = definition["ha-params"];
    if (
        has("ha-mode") &&
        POLICY_KEYS["ha-mode"].check(mode, v) &&
        (params === undefined || POLICY_KEYS["ha-params"].check(params, v))
    ) {
        if (mode === "all" && params !== undefined)
            p.add(at("ha-params"), `is set, but ha-mode "all" takes no ha-params; remove it`);
        if (mode !== "all" && params === undefined)
            p.add(
                at("ha-mode"),
                `is "${mode}", which needs ha-params: ${mode === "exactly" ? "a count > 0" : "a list of node names"}`,
            );
        else if (mode === "exactly" && !(Number.isInteger(params) && (params as number) > 0))
            p.add(at("ha-params"), `is ${show(params)}; ha-mode "exactly" needs a count > 0`);
        else if (mode === "nodes" && !Array.isArray(params))
            p.add(at("ha-params"), `is ${show(params)}; ha-mode "nodes" needs a non-empty list of node names`);
    }
}

/** A key the version has (neither too new nor removed). */
const usable = (rule: PolicyKeyRule, version: string) =>
    !(rule.removed && versionAtLeast(version, rule.removed.in)) &&
    !(rule.since && !versionAtLeast(version, rule.since));

/** rabbitmq_management always, rabbitmq_prometheus unless metrics are off, then the extra plugins. */
export function pluginList(p: Problems, v: unknown, metricsOff = false): string[] {
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
    const out = metricsOff ? ["rabbitmq_management"] : ["rabbitmq_management", "rabbitmq_prometheus"];
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
