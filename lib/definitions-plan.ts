// What an update of the broker's definitions does, decided without touching the broker:
// which objects are added, updated in place, declared again or deleted, and which of those
// would lose messages (judged with the broker's live counts). Pure functions; the
// BrokerDefinitions provider carries them out, and refuses a change that loses data
// unless the user consented (burrow:allowDataLoss).
import { rabbitPasswordHash } from "./boot-definitions";
import { bindingLabel, objectLabel, permissionLabel, topicPermissionLabel, userLabel, vhostLabel } from "./labels";

export interface VhostDefinition {
    name: string;
}
export interface UserDefinition {
    name: string;
    tags: string[];
}
export interface PermissionDefinition {
    user: string;
    vhost: string;
    configure: string;
    write: string;
    read: string;
}
export interface TopicPermissionDefinition {
    user: string;
    vhost: string;
    exchange: string;
    write: string;
    read: string;
}
export interface QueueDefinition {
    vhost: string;
    name: string;
    durable: boolean;
    auto_delete: boolean;
    arguments: Record<string, unknown>;
}
export interface ExchangeDefinition {
    vhost: string;
    name: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
}
export interface BindingDefinition {
    vhost: string;
    source: string;
    destination: string;
    destination_type: "queue" | "exchange";
    routing_key: string;
    arguments: Record<string, unknown>;
}
export interface PolicyDefinition {
    vhost: string;
    name: string;
    pattern: string;
    "apply-to": string;
    definition: Record<string, unknown>;
    priority: number;
}

/** The kinds, in the order the broker needs them created (and the reverse of how they are deleted). */
export const KINDS = [
    "vhosts",
    "users",
    "permissions",
    "topicPermissions",
    "policies",
    "queues",
    "exchanges",
    "bindings",
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * Every object, each kind a map from its label (lib/labels.ts) to the JSON text of its
 * definition in RabbitMQ's own import format. Text, not nested objects: at 1000 queues +
 * 1000 bindings, converting nested values to and from protobuf on every Check and Diff cost
 * ~2 s per `up`; the CLI still shows each changed object's JSON as a structured diff. A
 * user's password is not here (it is secret: see BrokerDefinitionsInputs.passwords), nor a
 * quorum queue's initial group size (it is not the queue's identity: see groupSizes).
 */
export type Definitions = Record<Kind, Record<string, string>>;

export interface DefinitionObjects {
    vhosts: VhostDefinition[];
    users: UserDefinition[];
    permissions: PermissionDefinition[];
    topicPermissions: TopicPermissionDefinition[];
    queues: QueueDefinition[];
    exchanges: ExchangeDefinition[];
    bindings: BindingDefinition[];
    policies: PolicyDefinition[];
}

/** Each object's label, by kind. */
export const LABELS: { [K in Kind]: (o: DefinitionObjects[K][number]) => string } = {
    vhosts: (v) => vhostLabel(v.name),
    users: (u) => userLabel(u.name),
    permissions: (p) => permissionLabel(p.vhost, p.user),
    topicPermissions: (t) => topicPermissionLabel(t.vhost, t.user, t.exchange),
    policies: (p) => objectLabel(p.vhost, p.name),
    queues: (q) => objectLabel(q.vhost, q.name),
    exchanges: (x) => objectLabel(x.vhost, x.name),
    bindings: (b) => bindingLabel(b),
};

/** The arguments that say how a quorum queue starts, not what it is: never a reason to declare it again. */
export const NOT_IDENTITY_ARGUMENTS = ["x-quorum-initial-group-size"];

/** Builds the label maps; two objects with one label is an error naming both. */
export function definitionsOf(objects: Partial<DefinitionObjects>): Definitions {
    const out = {} as Definitions;
    for (const kind of KINDS) {
        const map: Record<string, string> = {};
        for (const o of (objects[kind] ?? []) as Array<DefinitionObjects[typeof kind][number]>) {
            const label = (LABELS[kind] as (x: unknown) => string)(o);
            if (label in map) throw new Error(`two ${kind} are both "${label}"; each must be unique`);
            map[label] = JSON.stringify(kind === "queues" ? withoutStartArguments(o as QueueDefinition) : o);
        }
        out[kind] = map;
    }
    return out;
}

function withoutStartArguments(q: QueueDefinition): QueueDefinition {
    const args = Object.fromEntries(Object.entries(q.arguments).filter(([k]) => !NOT_IDENTITY_ARGUMENTS.includes(k)));
    return { ...q, arguments: args };
}

/** A stored definition: JSON text, or an object in states written by an earlier burrow. */
export function parseDefinition<T>(v: unknown): T {
    return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

/** Key-order-independent text of a definition (Pulumi's state sorts object keys). */
export function canonical(v: unknown): string {
    const sorted = (x: unknown): unknown =>
        Array.isArray(x)
            ? x.map(sorted)
            : x && typeof x === "object"
              ? Object.fromEntries(
                    Object.keys(x)
                        .sort()
                        .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
                )
              : x;
    return JSON.stringify(sorted(parseDefinition(v)));
}

export type Action = "add" | "update" | "redeclare" | "delete";

export interface Change {
    kind: Kind;
    label: string;
    action: Action;
    /** For a redeclare: what changed, e.g. `type classic -> quorum`. */
    detail?: string;
}

/** Kinds the broker cannot change in place: a changed one is deleted and declared again. */
const DECLARED_ONCE: Kind[] = ["queues", "exchanges", "bindings"];

/** Per object: what an update does on the broker. Maps missing from an older state count as empty. */
export function planChanges(olds: Partial<Definitions>, news: Partial<Definitions>): Change[] {
    const out: Change[] = [];
    for (const kind of KINDS) {
        const o = olds[kind] ?? {};
        const n = news[kind] ?? {};
        for (const label of Object.keys(n)) {
            if (!(label in o)) out.push({ kind, label, action: "add" });
            else if (canonical(o[label]) !== canonical(n[label])) {
                out.push(
                    DECLARED_ONCE.includes(kind)
                        ? { kind, label, action: "redeclare", detail: describeChange(o[label], n[label]) }
                        : { kind, label, action: "update" },
                );
            }
        }
        for (const label of Object.keys(o)) if (!(label in n)) out.push({ kind, label, action: "delete" });
    }
    return out;
}

/** What differs between two definitions of a queue or exchange, in a few words. */
export function describeChange(oldText: unknown, newText: unknown): string {
    const a = parseDefinition<Record<string, unknown>>(oldText);
    const b = parseDefinition<Record<string, unknown>>(newText);
    const parts: string[] = [];
    const aArgs = (a.arguments ?? {}) as Record<string, unknown>;
    const bArgs = (b.arguments ?? {}) as Record<string, unknown>;
    const type = (d: Record<string, unknown>, args: Record<string, unknown>) =>
        (args["x-queue-type"] ?? d.type) as string;
    if (type(a, aArgs) !== type(b, bArgs)) parts.push(`type ${type(a, aArgs)} -> ${type(b, bArgs)}`);
    for (const k of ["durable", "auto_delete", "internal"]) {
        if (a[k] !== undefined && a[k] !== b[k]) parts.push(`${k} ${a[k]} -> ${b[k]}`);
    }
    for (const k of [...new Set([...Object.keys(aArgs), ...Object.keys(bArgs)])].sort()) {
        if (k === "x-queue-type" || JSON.stringify(aArgs[k]) === JSON.stringify(bArgs[k])) continue;
        if (!(k in aArgs)) parts.push(`${k} added (${JSON.stringify(bArgs[k])})`);
        else if (!(k in bArgs)) parts.push(`${k} removed (was ${JSON.stringify(aArgs[k])})`);
        else parts.push(`${k} ${JSON.stringify(aArgs[k])} -> ${JSON.stringify(bArgs[k])}`);
    }
    return parts.join(", ") || "definition changed";
}

/** What the broker holds now, as far as a data-loss check needs it; undefined: could not be read. */
export interface LiveCounts {
    /** Messages by queue label. */
    messages: Record<string, number>;
    /** Queue type by queue label. */
    types: Record<string, string>;
    /** Why the counts could not be read, when they could not. */
    unreadable?: string;
}

/** A change that would lose data, with the key that consents to it. */
export interface Loss {
    /** What `burrow:allowDataLoss` must list to allow it: "queue shop/orders", "vhost legacy". */
    consent: string;
    /** One line for the preview. */
    message: string;
}

const count = (n: number, what: string) => `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;

/**
 * The changes that would lose data: a queue deleted or declared again while it holds messages
 * (or when burrow cannot tell), any stream deleted or declared again (its log is the data),
 * a vhost deleted while any of its queues holds messages. An empty queue is not a loss: it
 * is deleted with the broker's if-empty guard, so one that fills up meanwhile is refused.
 */
export function lossesOf(changes: Change[], olds: Partial<Definitions>, live: LiveCounts): Loss[] {
    const out: Loss[] = [];
    const unknown = live.unreadable ? ` (burrow could not read how many messages it holds: ${live.unreadable})` : "";
    for (const c of changes) {
        if (c.kind === "queues" && (c.action === "delete" || c.action === "redeclare")) {
            const old = parseDefinition<QueueDefinition>(olds.queues?.[c.label]);
            const type = live.types[c.label] ?? (old?.arguments?.["x-queue-type"] as string | undefined) ?? "classic";
            const n = live.messages[c.label];
            const how = c.action === "delete" ? "removed from the config: deleting it" : `${c.detail}: re-declaring it`;
            if (n === undefined && !live.unreadable) continue; // not on the broker at all: nothing to lose
            if (type !== "stream" && n === 0) continue;
            const lost =
                n === undefined
                    ? `may drop its messages${unknown}`
                    : type === "stream"
                      ? `drops the stream's log of ${count(n, "message")}`
                      : `drops its ${count(n, "message")}`;
            out.push({ consent: `queue ${c.label}`, message: `queue ${c.label}: ${how} ${lost}` });
        }
        if (c.kind === "vhosts" && c.action === "delete") {
            // Any queue in it that burrow does not delete anyway (one an application declared)
            // goes with the vhost: that is a loss even while empty.
            const inVhost = Object.keys(live.messages).filter((l) => l.startsWith(`${c.label}/`));
            const deletedAnyway = new Set(
                changes.filter((x) => x.kind === "queues" && x.action === "delete").map((x) => x.label),
            );
            const total = inVhost.reduce((s, l) => s + live.messages[l], 0);
            if (!live.unreadable && total === 0 && inVhost.every((l) => deletedAnyway.has(l))) continue;
            out.push({
                consent: `vhost ${c.label}`,
                message: `vhost ${c.label}: removed from the config: deleting it deletes ${
                    live.unreadable
                        ? `every queue in it${unknown}`
                        : `its ${count(inVhost.length, "queue")} with ${count(total, "message")}`
                }`,
            });
        }
    }
    return out;
}

/** Whether a loss is allowed: `allow` lists its consent key, or "*". */
export const consented = (loss: Loss, allow: readonly string[]) => allow.includes("*") || allow.includes(loss.consent);

/** The error that refuses losses nobody consented to: each named, and the exact consent. */
export function refusal(losses: Loss[]): string {
    const keys = JSON.stringify(losses.map((l) => l.consent));
    return [
        `burrow refuses ${losses.length === 1 ? "a change that loses" : `${losses.length} changes that lose`} data; nothing was changed:`,
        ...losses.map((l) => `  - ${l.message}`),
        `To allow exactly ${losses.length === 1 ? "this" : "these"}, set burrow:allowDataLoss and run up again:`,
        `  npm run pulumi -- config set burrow:allowDataLoss '${keys}'`,
        `(a library user passes allowDataLoss: ${keys}). Remove it afterwards (config rm burrow:allowDataLoss), so the next data-losing change asks again.`,
    ].join("\n");
}

/** Notable changes that lose no data but are worth a line in the preview. */
export function notices(changes: Change[]): string[] {
    return changes
        .filter((c) => c.action === "redeclare" && c.kind === "exchanges")
        .map((c) => `exchange ${c.label}: ${c.detail}: re-declaring it; its bindings are created again`);
}

/** RabbitMQ's import document for every object, with the users' password hashes and the quorum queues' group sizes. */
export function importDocument(
    d: Partial<Definitions>,
    passwords: Record<string, string> = {},
    groupSizes: Record<string, number> = {},
    /** Kinds to leave out (a restore without passwords leaves out users). */
    without: Kind[] = [],
) {
    const all = <T>(kind: Kind): Array<[string, T]> =>
        without.includes(kind)
            ? []
            : Object.entries(d[kind] ?? {}).map(([label, text]) => [label, parseDefinition<T>(text)]);
    return {
        vhosts: all<VhostDefinition>("vhosts").map(([, v]) => v),
        users: all<UserDefinition>("users").map(([label, u]) => {
            const password = passwords[label];
            if (password === undefined) throw new Error(`user "${u.name}" has no password to import`);
            return {
                name: u.name,
                password_hash: rabbitPasswordHash(password),
                hashing_algorithm: "rabbit_password_hashing_sha256",
                tags: u.tags,
            };
        }),
        permissions: all<PermissionDefinition>("permissions").map(([, p]) => p),
        topic_permissions: all<TopicPermissionDefinition>("topicPermissions").map(([, t]) => t),
        policies: all<PolicyDefinition>("policies").map(([, p]) => p),
        queues: all<QueueDefinition>("queues").map(([label, q]) =>
            q.arguments["x-queue-type"] === "quorum" && groupSizes[label] !== undefined
                ? { ...q, arguments: { ...q.arguments, "x-quorum-initial-group-size": groupSizes[label] } }
                : q,
        ),
        exchanges: all<ExchangeDefinition>("exchanges").map(([, x]) => x),
        bindings: all<BindingDefinition>("bindings").map(([, b]) => b),
    };
}
