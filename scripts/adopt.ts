// Adopting a broker burrow did not make: RabbitMQ's definitions export (GET /api/definitions)
// -> the equivalent burrow:* config, and what burrow cannot express, each with the reason.
// Pure functions (scripts/import.ts does the I/O); the result is checked by the same
// parseSettings() as any stack config, and an object it refuses is left out and reported,
// never half-written.
import { localUri } from "../components/settings/objects";
import { SETTING_KEYS } from "../components/settings/keys";
import { SettingsError, parseSettings } from "../components/settings";
import { objectLabel } from "../lib/labels";

/** The parts of RabbitMQ's export that burrow reads (4.x names; 3.x's string tags are read too). */
export interface RabbitExport {
    rabbit_version?: string;
    users?: Array<{
        name: string;
        password_hash?: string;
        hashing_algorithm?: string;
        tags?: string[] | string;
        limits?: Record<string, number>;
    }>;
    vhosts?: Array<{
        name: string;
        description?: string;
        tags?: string[];
        default_queue_type?: string;
        metadata?: { description?: string; tags?: string[]; default_queue_type?: string };
    }>;
    permissions?: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>;
    topic_permissions?: Array<{ user: string; vhost: string; exchange: string; write: string; read: string }>;
    parameters?: Array<{ vhost: string; component: string; name: string; value: unknown }>;
    global_parameters?: Array<{ name: string; value: unknown }>;
    policies?: Array<{
        vhost: string;
        name: string;
        pattern: string;
        "apply-to": string;
        definition: Record<string, unknown>;
        priority: number;
    }>;
    queues?: Array<{
        vhost: string;
        name: string;
        durable: boolean;
        auto_delete: boolean;
        arguments?: Record<string, unknown>;
    }>;
    exchanges?: Array<{
        vhost: string;
        name: string;
        type: string;
        durable: boolean;
        auto_delete: boolean;
        internal: boolean;
        arguments?: Record<string, unknown>;
    }>;
    bindings?: Array<{
        vhost: string;
        source: string;
        destination: string;
        destination_type: string;
        routing_key: string;
        arguments?: Record<string, unknown>;
    }>;
}

export interface Adopted {
    /** burrow:<key> -> value, only keys with something in them. */
    config: Record<string, unknown>;
    /** What burrow cannot express, one line each: "queue shop/odd: why". */
    skipped: string[];
}

/** Keys whose value holds a secret (password hashes, URIs with passwords): `config set --secret`. */
export const SECRET_KEYS = ["users", "shovels", "federationUpstreams"];

/** Global parameters RabbitMQ keeps for itself; never reported. */
const INTERNAL_GLOBALS = ["internal_cluster_id", "cluster_tags"];

const tagsOf = (t: string[] | string | undefined) =>
    (Array.isArray(t) ? t : (t ?? "").split(",")).map((x) => x.trim()).filter(Boolean);
const without = (o: Record<string, unknown> | undefined, keys: string[]) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !keys.includes(k)));

/**
 * The burrow:* config equivalent to a broker's definitions. `admin` is the user burrow
 * administers the broker as (its tags and "/" permissions become adminTags/adminPermissions);
 * the smoke queue is burrow's own.
 */
export function adopt(d: RabbitExport, admin: string, smokeQueue = "burrow.smoke"): Adopted {
    const skipped: string[] = [];
    const config: Record<string, unknown> = {};
    const params = (component: string) => (d.parameters ?? []).filter((p) => p.component === component);
    const known = ["vhost-limits", "operator_policy", "shovel", "federation-upstream", "federation-upstream-set"];
    for (const p of (d.parameters ?? []).filter((x) => !known.includes(x.component)))
        skipped.push(
            `parameter ${p.component} ${objectLabel(p.vhost, p.name)}: burrow does not declare ${p.component} parameters`,
        );

    // Vhosts ("/" is every broker's own; burrow does not declare it).
    const limits = new Map(params("vhost-limits").map((p) => [p.vhost, p.value as Record<string, number>]));
    const vhosts: unknown[] = [];
    for (const v of d.vhosts ?? []) {
        const meta = {
            description: v.description,
            tags: v.tags,
            default_queue_type: v.default_queue_type,
            ...(v.metadata ?? {}),
        };
        if (v.name === "/") {
            if (limits.has("/")) skipped.push(`vhost /: its limits (burrow does not declare the default vhost)`);
            continue;
        }
        const o: Record<string, unknown> = { name: v.name };
        if (meta.description) o.description = meta.description;
        if (meta.tags && meta.tags.length > 0) o.tags = meta.tags;
        if (meta.default_queue_type && meta.default_queue_type !== "classic")
            o.defaultQueueType = meta.default_queue_type;
        if (limits.has(v.name)) o.limits = limits.get(v.name);
        vhosts.push(Object.keys(o).length === 1 ? v.name : o);
    }
    config.vhosts = vhosts;

    // Users: the admin's tags and "/" permissions; guest kept if the broker has it; the rest imported by hash.
    const perms = d.permissions ?? [];
    const topic = d.topic_permissions ?? [];
    const users: unknown[] = [];
    for (const u of d.users ?? []) {
        const mine = perms
            .filter((p) => p.user === u.name)
            .map(({ vhost, configure, write, read }) => ({ vhost, configure, write, read }));
        if (u.name === admin) {
            config.adminUser = admin;
            config.adminTags = tagsOf(u.tags);
            const root = mine.find((p) => p.vhost === "/");
            if (root) config.adminPermissions = root;
            for (const p of mine.filter((x) => x !== root))
                skipped.push(
                    `permission ${objectLabel(p.vhost, admin)}: burrow declares the admin's permissions in one vhost only (it stays on the broker)`,
                );
            continue;
        }
        if (u.name === "guest") {
            config.removeGuest = false;
            continue;
        }
        if (!u.password_hash) {
            skipped.push(`user ${u.name}: it has no password (burrow needs a password or a hash)`);
            continue;
        }
        users.push({
            name: u.name,
            passwordHash: u.password_hash,
            hashingAlgorithm: u.hashing_algorithm ?? "rabbit_password_hashing_sha256",
            tags: tagsOf(u.tags),
            ...(mine.length > 0 ? { permissions: mine } : {}),
            ...(topic.some((t) => t.user === u.name)
                ? {
                      topicPermissions: topic
                          .filter((t) => t.user === u.name)
                          .map(({ vhost, exchange, write, read }) => ({ vhost, exchange, write, read })),
                  }
                : {}),
            ...(u.limits && Object.keys(u.limits).length > 0 ? { limits: u.limits } : {}),
        });
    }
    config.users = users;

    // Super streams: an exchange marked x-super-stream and its partition streams and bindings.
    const superStreams: unknown[] = [];
    const partOf = new Set<string>();
    for (const x of (d.exchanges ?? []).filter((e) => e.arguments?.["x-super-stream"] === true)) {
        const bs = (d.bindings ?? [])
            .filter((b) => b.vhost === x.vhost && b.source === x.name && b.destination_type === "queue")
            .sort(
                (a, b) =>
                    Number(a.arguments?.["x-stream-partition-order"]) -
                    Number(b.arguments?.["x-stream-partition-order"]),
            );
        const queues = bs.map((b) => (d.queues ?? []).find((q) => q.vhost === x.vhost && q.name === b.destination));
        const args = queues.map((q) => JSON.stringify(without(q?.arguments, ["x-queue-type"])));
        const regular =
            bs.length > 0 &&
            bs.every(
                (b, i) =>
                    b.destination === `${x.name}-${b.routing_key}` &&
                    Number(b.arguments?.["x-stream-partition-order"]) === i,
            ) &&
            queues.every((q) => q?.arguments?.["x-queue-type"] === "stream") &&
            new Set(args).size === 1;
        if (!regular) continue; // left as an exchange, queues and bindings
        const keys = bs.map((b) => b.routing_key);
        superStreams.push({
            name: x.name,
            ...(x.vhost !== "/" ? { vhost: x.vhost } : {}),
            ...(keys.every((k, i) => k === String(i)) ? { partitions: keys.length } : { routingKeys: keys }),
            ...(args[0] !== "{}" ? { arguments: JSON.parse(args[0]) } : {}),
        });
        partOf.add(`e:${objectLabel(x.vhost, x.name)}`);
        for (const b of bs)
            partOf
                .add(`q:${objectLabel(b.vhost, b.destination)}`)
                .add(`b:${JSON.stringify([b.vhost, b.source, b.destination, b.routing_key])}`);
    }
    config.superStreams = superStreams;

    config.queues = (d.queues ?? [])
        .filter((q) => !partOf.has(`q:${objectLabel(q.vhost, q.name)}`) && !(q.vhost === "/" && q.name === smokeQueue))
        .map((q) => {
            const type = (q.arguments?.["x-queue-type"] as string | undefined) ?? "classic";
            const args = without(q.arguments, ["x-queue-type"]);
            return {
                name: q.name,
                ...(q.vhost !== "/" ? { vhost: q.vhost } : {}),
                type,
                ...(q.durable === false ? { durable: false } : {}),
                ...(q.auto_delete ? { autoDelete: true } : {}),
                ...(Object.keys(args).length > 0 ? { arguments: args } : {}),
            };
        });
    config.exchanges = (d.exchanges ?? [])
        .filter((x) => !partOf.has(`e:${objectLabel(x.vhost, x.name)}`) && !x.name.startsWith("amq.") && x.name !== "")
        .map((x) => ({
            name: x.name,
            ...(x.vhost !== "/" ? { vhost: x.vhost } : {}),
            type: x.type,
            ...(x.durable === false ? { durable: false } : {}),
            ...(x.auto_delete ? { autoDelete: true } : {}),
            ...(x.internal ? { internal: true } : {}),
            ...(Object.keys(x.arguments ?? {}).length > 0 ? { arguments: x.arguments } : {}),
        }));
    config.bindings = (d.bindings ?? [])
        .filter(
            (b) =>
                !partOf.has(`b:${JSON.stringify([b.vhost, b.source, b.destination, b.routing_key])}`) &&
                b.source !== "",
        )
        .map((b) => ({
            ...(b.vhost !== "/" ? { vhost: b.vhost } : {}),
            source: b.source,
            destination: b.destination,
            ...(b.destination_type !== "queue" ? { destinationType: b.destination_type } : {}),
            ...(b.routing_key !== "" ? { routingKey: b.routing_key } : {}),
            ...(Object.keys(b.arguments ?? {}).length > 0 ? { arguments: b.arguments } : {}),
        }));
    config.policies = (d.policies ?? []).map((p) => ({
        name: p.name,
        ...(p.vhost !== "/" ? { vhost: p.vhost } : {}),
        pattern: p.pattern,
        applyTo: p["apply-to"],
        ...(p.priority ? { priority: p.priority } : {}),
        definition: p.definition,
    }));
    config.operatorPolicies = params("operator_policy").map((p) => {
        const v = p.value as {
            pattern: string;
            definition: Record<string, unknown>;
            priority?: number;
            "apply-to"?: string;
        };
        return {
            name: p.name,
            ...(p.vhost !== "/" ? { vhost: p.vhost } : {}),
            pattern: v.pattern,
            applyTo: v["apply-to"] ?? "queues",
            ...(v.priority ? { priority: v.priority } : {}),
            definition: v.definition,
        };
    });
    config.shovels = params("shovel").flatMap((p) => {
        const r = shovelArgs(p.vhost, p.name, p.value as Record<string, unknown>);
        if (typeof r === "string") {
            skipped.push(`shovel ${objectLabel(p.vhost, p.name)}: ${r}`);
            return [];
        }
        return [r];
    });
    config.federationUpstreams = params("federation-upstream").flatMap((p) => {
        const v = p.value as Record<string, unknown>;
        const map: Record<string, string> = {
            uri: "uri",
            exchange: "exchange",
            queue: "queue",
            "max-hops": "maxHops",
            expires: "expires",
            "message-ttl": "messageTtl",
            "prefetch-count": "prefetchCount",
            "reconnect-delay": "reconnectDelay",
            "ack-mode": "ackMode",
            "trust-user-id": "trustUserId",
        };
        const unknown = Object.keys(v).filter((k) => !(k in map));
        if (unknown.length > 0 || typeof v.uri !== "string") {
            skipped.push(
                `federation upstream ${objectLabel(p.vhost, p.name)}: ${typeof v.uri !== "string" ? "a list of URIs" : `keys burrow does not declare: ${unknown.join(", ")}`}`,
            );
            return [];
        }
        return [
            {
                name: p.name,
                ...(p.vhost !== "/" ? { vhost: p.vhost } : {}),
                ...Object.fromEntries(Object.entries(v).map(([k, x]) => [map[k], x])),
            },
        ];
    });
    config.federationUpstreamSets = params("federation-upstream-set").map((p) => ({
        name: p.name,
        ...(p.vhost !== "/" ? { vhost: p.vhost } : {}),
        upstreams: (p.value as Array<Record<string, string>>).map((u) =>
            Object.keys(u).length === 1 ? u.upstream : u,
        ),
    }));
    const globals: Record<string, unknown> = {};
    for (const g of d.global_parameters ?? []) {
        if (INTERNAL_GLOBALS.includes(g.name)) continue;
        if (g.name === "cluster_name") globals.cluster_name = g.value;
        else skipped.push(`global parameter ${g.name}: burrow sets cluster_name only`);
    }
    config.globalParameters = globals;

    const kept = Object.fromEntries(
        Object.entries(config).filter(([, v]) =>
            Array.isArray(v) ? v.length > 0 : v && typeof v === "object" ? Object.keys(v).length > 0 : v !== undefined,
        ),
    );
    return fitted(kept, skipped);
}

/** A shovel's value as burrow:shovels takes it, or why it cannot be. */
function shovelArgs(vhost: string, name: string, v: Record<string, unknown>): Record<string, unknown> | string {
    const end = (prefix: "src" | "dest") => {
        const e: Record<string, unknown> = {};
        const protocol = (v[`${prefix}-protocol`] as string | undefined) ?? "amqp091";
        if (v[`${prefix}-protocol`] !== undefined) e.protocol = protocol;
        const uri = v[`${prefix}-uri`];
        if (Array.isArray(uri)) return "a list of URIs";
        if (!(protocol === "amqp091" && uri === localUri(vhost))) e.uri = uri;
        for (const [k, to] of [
            ["queue", "queue"],
            ["exchange", "exchange"],
            ["exchange-key", "routingKey"],
            ["address", "address"],
            ["prefetch-count", "prefetchCount"],
            ["add-forward-headers", "addForwardHeaders"],
        ])
            if (v[`${prefix}-${k}`] !== undefined) e[to] = v[`${prefix}-${k}`];
        return e;
    };
    const handled = new Set(
        ["protocol", "uri", "queue", "exchange", "exchange-key", "address"]
            .flatMap((k) => [`src-${k}`, `dest-${k}`])
            .concat([
                "src-prefetch-count",
                "src-delete-after",
                "dest-add-forward-headers",
                "ack-mode",
                "reconnect-delay",
            ]),
    );
    const unknown = Object.keys(v).filter((k) => !handled.has(k));
    if (unknown.length > 0) return `keys burrow does not declare: ${unknown.join(", ")}`;
    const source = end("src");
    const destination = end("dest");
    if (typeof source === "string") return source;
    if (typeof destination === "string") return destination;
    return {
        name,
        ...(vhost !== "/" ? { vhost } : {}),
        source,
        destination,
        ...(v["ack-mode"] !== undefined ? { ackMode: v["ack-mode"] } : {}),
        ...(v["src-delete-after"] !== undefined ? { deleteAfter: v["src-delete-after"] } : {}),
        ...(v["reconnect-delay"] !== undefined ? { reconnectDelay: v["reconnect-delay"] } : {}),
    };
}

/** What an entry is, for the report: "queue shop/odd". */
function describe(key: string, entry: unknown): string {
    const o = (entry ?? {}) as Record<string, string>;
    const word: Record<string, string> = {
        vhosts: "vhost",
        users: "user",
        queues: "queue",
        exchanges: "exchange",
        policies: "policy",
        operatorPolicies: "operator policy",
        shovels: "shovel",
        federationUpstreams: "federation upstream",
        federationUpstreamSets: "federation upstream set",
        superStreams: "super stream",
    };
    if (typeof entry === "string") return `${word[key] ?? key} ${entry}`;
    if (key === "bindings")
        return `binding ${objectLabel(o.vhost ?? "/", o.source)} -> ${o.destination} (${o.routingKey ?? ""})`;
    if (key === "vhosts" || key === "users") return `${word[key]} ${o.name}`;
    return `${word[key] ?? key} ${objectLabel(o.vhost ?? "/", o.name)}`;
}

/**
 * Leaves out each object parseSettings refuses (and what hung on it: a binding to a queue
 * left out is refused next), naming it and the reason, until the config is valid.
 */
function fitted(config: Record<string, unknown>, skipped: string[]): Adopted {
    const out = { ...config };
    for (let round = 0; round < 50; round++) {
        try {
            parseSettings(out);
            return { config: out, skipped };
        } catch (e) {
            if (!(e instanceof SettingsError)) throw e;
            const drop = new Map<string, Set<number>>();
            for (const issue of e.issues) {
                const m = /^(\w+)\[(\d+)\]/.exec(issue.key);
                const top = m?.[1] ?? issue.key.split(/[.[]/)[0];
                if (!(top in SETTING_KEYS)) throw e;
                if (!m) {
                    skipped.push(`${top}: ${issue.message} (left out)`);
                    delete out[top];
                    continue;
                }
                const list = out[top] as unknown[];
                const i = Number(m[2]);
                if (!drop.has(top)) drop.set(top, new Set());
                if (!drop.get(top)!.has(i))
                    skipped.push(`${describe(top, list[i])}: \`${issue.key}\` ${issue.message}`);
                drop.get(top)!.add(i);
            }
            for (const [top, idx] of drop) out[top] = (out[top] as unknown[]).filter((_, i) => !idx.has(i));
        }
    }
    throw new Error("the adopted config did not settle after 50 rounds of leaving out what burrow refuses");
}
