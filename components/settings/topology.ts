// What the broker holds: vhosts, users and their permissions, queues, exchanges, bindings
// and policies. Each parser checks one object against RabbitMQ's rules (rabbitmq.ts) and
// the rest of the topology (a binding's ends must be declared, a vhost must exist).
import { Problems } from "./problems";
import {
    BUILT_IN_EXCHANGES,
    EXCHANGE_TYPES,
    POLICY_TARGETS,
    QUEUE_ARGUMENTS,
    QUEUE_TYPES,
    QueueType,
    USER_TAGS,
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
    unknownFields(p, key, u, ["name", "password", "tags", "permissions", "topicPermissions"]);
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

export function binding(
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
            `names exchange "${source}", which is not declared in vhost "${vhost}"; declare it in ${p.ref("exchanges")}`,
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

export function policy(p: Problems, key: string, v: unknown, vhosts: Set<string>): PolicySettings | undefined {
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
