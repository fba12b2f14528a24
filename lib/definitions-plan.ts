// What an update of the broker's definitions does, decided without touching the broker:
// which objects are added, updated in place, declared again or deleted, and which of those
// would lose messages (judged with the broker's live counts). Pure functions; the
// BrokerDefinitions provider carries them out, and refuses a change that loses data
// unless the user consented (burrow:allowDataLoss).
import { rabbitPasswordHash } from "./boot-definitions";
import { shellQuote } from "./ssh";
import {
    bindingLabel,
    objectLabel,
    parseLabel,
    permissionLabel,
    topicPermissionLabel,
    userLabel,
    vhostLabel,
} from "./labels";

export interface VhostDefinition {
    name: string;
    /** The vhost's metadata; each only when declared (a plain-string vhost has none). */
    description?: string;
    tags?: string[];
    default_queue_type?: string;
    /** "max-connections", "max-queues"; imported as the vhost-limits parameter. */
    limits?: Record<string, number>;
}
export interface UserDefinition {
    name: string;
    tags: string[];
    /** "max-connections", "max-channels"; only when declared. */
    limits?: Record<string, number>;
    /** Set when the user is imported with a given hash (secret: BrokerDefinitionsInputs.passwordHashes) instead of a password. */
    hashing_algorithm?: string;
}
/** A global runtime parameter (cluster_name). */
export interface GlobalParameterDefinition {
    name: string;
    value: unknown;
}
/**
 * A vhost-scoped runtime parameter burrow declares as an object of its own: a shovel, a
 * federation upstream or upstream set. URIs in `value` are masked (user:***@host); the real
 * ones travel in the secret `uris` map (see secretUriKey) and only the import sees them.
 */
export interface ParameterDefinition {
    vhost: string;
    name: string;
    value: unknown;
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
    "globalParameters",
    "policies",
    "operatorPolicies",
    "queues",
    "exchanges",
    "bindings",
    "federationUpstreams",
    "federationUpstreamSets",
    "shovels",
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
    globalParameters: GlobalParameterDefinition[];
    queues: QueueDefinition[];
    exchanges: ExchangeDefinition[];
    bindings: BindingDefinition[];
    policies: PolicyDefinition[];
    operatorPolicies: PolicyDefinition[];
    federationUpstreams: ParameterDefinition[];
    federationUpstreamSets: ParameterDefinition[];
    shovels: ParameterDefinition[];
}

/** What a kind is called in messages: "queue", "operator policy", ... */
export const KIND_NAMES: Record<Kind, string> = {
    vhosts: "vhost",
    users: "user",
    permissions: "permission",
    topicPermissions: "topic permission",
    globalParameters: "global parameter",
    policies: "policy",
    operatorPolicies: "operator policy",
    queues: "queue",
    exchanges: "exchange",
    bindings: "binding",
    federationUpstreams: "federation upstream",
    federationUpstreamSets: "federation upstream set",
    shovels: "shovel",
};

/** Runtime parameters' components in RabbitMQ's definitions, by the kind burrow declares them as. */
export const PARAMETER_COMPONENTS = {
    operatorPolicies: "operator_policy",
    federationUpstreams: "federation-upstream",
    federationUpstreamSets: "federation-upstream-set",
    shovels: "shovel",
} as const;

/** Imported after everything else: a shovel or federation link starts at once and may declare the queues it uses. */
export const STARTED_LAST: Kind[] = ["federationUpstreams", "federationUpstreamSets", "shovels"];

/** Each object's label, by kind. */
export const LABELS: { [K in Kind]: (o: DefinitionObjects[K][number]) => string } = {
    vhosts: (v) => vhostLabel(v.name),
    users: (u) => userLabel(u.name),
    permissions: (p) => permissionLabel(p.vhost, p.user),
    topicPermissions: (t) => topicPermissionLabel(t.vhost, t.user, t.exchange),
    globalParameters: (g) => g.name,
    policies: (p) => objectLabel(p.vhost, p.name),
    operatorPolicies: (p) => objectLabel(p.vhost, p.name),
    queues: (q) => objectLabel(q.vhost, q.name),
    exchanges: (x) => objectLabel(x.vhost, x.name),
    bindings: (b) => bindingLabel(b),
    federationUpstreams: (u) => objectLabel(u.vhost, u.name),
    federationUpstreamSets: (u) => objectLabel(u.vhost, u.name),
    shovels: (x) => objectLabel(x.vhost, x.name),
};

/** The key of an object's real URIs in the secret `uris` map: "shovels:shop/move". */
export const secretUriKey = (kind: Kind, label: string) => `${kind}:${label}`;

/** A URI fit for the state and the preview: the password replaced by ***. */
export function maskUri(uri: string): string {
    try {
        const u = new URL(uri);
        if (u.password) u.password = "***";
        return u.toString();
    } catch {
        return "(hidden: not a URI)";
    }
}

/** A parameter's value with its real URIs put back (the import and drift checks need them). */
export function withUris(kind: Kind, label: string, value: unknown, uris: SecretUris = {}): unknown {
    const real = uris[secretUriKey(kind, label)];
    if (!real || !value || typeof value !== "object" || Array.isArray(value)) return value;
    return { ...(value as Record<string, unknown>), ...real };
}

/** The real URIs of shovels and federation upstreams, by secretUriKey, then by field ("src-uri", "uri"). */
export type SecretUris = Record<string, Record<string, string>>;

/** A one-shot shovel (src-delete-after other than "never") deletes itself when done: its absence is completion, not drift. */
export function isOneShot(shovel: ParameterDefinition): boolean {
    const after = (shovel.value as Record<string, unknown> | undefined)?.["src-delete-after"];
    return after !== undefined && after !== "never";
}

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
    return canonicalJson(parseDefinition(v));
}

/** Key-order-independent JSON of a value (text stays text). */
export function canonicalJson(v: unknown): string {
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
    return JSON.stringify(sorted(v));
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
    /** Bytes of message bodies by queue label (where the broker reports them). */
    bytes?: Record<string, number>;
    /** Why the counts could not be read, when they could not. */
    unreadable?: string;
}

/** A change that would lose data, with the key that consents to it. */
export interface Loss {
    /** What `burrow:allowDataLoss` must list to allow it: "queue shop/orders", "vhost legacy", "shovel move", "policy cap". */
    consent: string;
    /** One line for the preview. */
    message: string;
}

const count = (n: number, what: string) => `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;

/** Policy keys that trim a queue the moment the policy applies (with the default overflow, drop-head). */
const TRIMMING_KEYS = ["max-length", "max-length-bytes"] as const;

/** Whether a policy applies to a queue of this type (RabbitMQ's apply-to). */
function appliesTo(applyTo: string, type: string): boolean {
    if (applyTo === "queues" || applyTo === "all") return true;
    return (
        (applyTo === "classic_queues" && type === "classic") ||
        (applyTo === "quorum_queues" && type === "quorum") ||
        (applyTo === "streams" && type === "stream")
    );
}

/** The queues a (new or changed) policy would trim now, each with what it drops. */
export function trimmedBy(pol: PolicyDefinition, live: LiveCounts): string[] {
    const def = pol.definition ?? {};
    if (def.overflow === "reject-publish" || def["overflow"] === "reject-publish-dlx") return [];
    const out: string[] = [];
    let pattern: RegExp;
    try {
        pattern = new RegExp(pol.pattern);
    } catch {
        return [];
    }
    for (const [label, messages] of Object.entries(live.messages)) {
        const { vhost, name } = parseLabel(label);
        const type = live.types[label] ?? "classic";
        if (vhost !== pol.vhost || !pattern.test(name) || !appliesTo(pol["apply-to"], type)) continue;
        const maxLength = def["max-length"];
        const maxBytes = def["max-length-bytes"];
        const bytes = live.bytes?.[label];
        // Streams keep max-length-bytes as retention: old segments go.
        if (typeof maxLength === "number" && type !== "stream" && messages > maxLength)
            out.push(
                `queue ${label} holds ${count(messages, "message")}: max-length ${maxLength} drops ${count(messages - maxLength, "message")}`,
            );
        else if (typeof maxBytes === "number" && bytes !== undefined && bytes > maxBytes)
            out.push(
                `queue ${label} holds ${count(bytes, "byte")}: max-length-bytes ${maxBytes} drops the oldest messages`,
            );
    }
    return out;
}

/** Whether judging these changes needs the broker's live counts. */
export function needsLiveCounts(changes: Change[], news: Partial<Definitions> = {}): boolean {
    return changes.some(
        (c) =>
            (c.kind === "queues" && (c.action === "delete" || c.action === "redeclare")) ||
            (c.kind === "vhosts" && c.action === "delete") ||
            ((c.kind === "policies" || c.kind === "operatorPolicies") &&
                (c.action === "add" || c.action === "update") &&
                TRIMMING_KEYS.some(
                    (k) =>
                        typeof parseDefinition<PolicyDefinition>(news[c.kind]?.[c.label])?.definition?.[k] === "number",
                )),
    );
}

/**
 * The changes that would lose data: a queue deleted or declared again while it holds messages
 * (or when burrow cannot tell), any stream deleted or declared again (its log is the data),
 * a vhost deleted while any of its queues holds messages. An empty queue is not a loss: it
 * is deleted with the broker's if-empty guard, so one that fills up meanwhile is refused.
 * A super stream's partitions are streams: removing one (fewer partitions, or the super
 * stream) is a stream removal. A shovel removed or changed (which restarts it) while it acks
 * the source before the destination confirmed (ack-mode on-publish or no-ack) drops what it
 * holds in flight; burrow cannot see how much, so it always asks. A policy or operator policy
 * added or changed with max-length or max-length-bytes below what a matching queue holds
 * now drops the excess at once (unless its overflow rejects publishes instead).
 */
export function lossesOf(
    changes: Change[],
    olds: Partial<Definitions>,
    live: LiveCounts,
    news: Partial<Definitions> = {},
): Loss[] {
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
        if (c.kind === "shovels" && (c.action === "delete" || c.action === "update")) {
            const old = parseDefinition<ParameterDefinition>(olds.shovels?.[c.label]);
            const mode = ((old?.value as Record<string, unknown> | undefined)?.["ack-mode"] as string) ?? "on-confirm";
            if (mode === "on-confirm") continue; // unconfirmed deliveries go back to the source
            const how = c.action === "delete" ? "removed from the config: deleting it" : "changed: restarting it";
            out.push({
                consent: `shovel ${c.label}`,
                message: `shovel ${c.label}: ${how} while it runs with ack-mode ${mode} drops the messages it took from the source and had not delivered yet (burrow cannot see how many are in flight)`,
            });
        }
        if ((c.kind === "policies" || c.kind === "operatorPolicies") && (c.action === "add" || c.action === "update")) {
            const pol = parseDefinition<PolicyDefinition>(news[c.kind]?.[c.label]);
            if (!pol || !TRIMMING_KEYS.some((k) => typeof pol.definition?.[k] === "number")) continue;
            const word = c.kind === "policies" ? "policy" : "operator-policy";
            const what = `${KIND_NAMES[c.kind]} ${c.label}`;
            if (live.unreadable) {
                out.push({
                    consent: `${word} ${c.label}`,
                    message: `${what}: may trim the queues it matches${unknown}`,
                });
                continue;
            }
            const trimmed = trimmedBy(pol, live);
            if (trimmed.length === 0) continue;
            const shown =
                trimmed.slice(0, 3).join("; ") + (trimmed.length > 3 ? `; and ${trimmed.length - 3} more` : "");
            out.push({ consent: `${word} ${c.label}`, message: `${what}: ${shown}` });
        }
    }
    return out;
}

/** Whether a loss is allowed: `allow` lists its consent key, or "*". */
export const consented = (loss: Loss, allow: readonly string[]) => allow.includes("*") || allow.includes(loss.consent);

/**
 * The error that refuses losses nobody consented to: each named, and the exact consent as a
 * command that runs as printed (shell-quoted, whatever the names hold), keeping the consents
 * already given (`allowed`) so that setting it does not drop them.
 */
export function refusal(losses: Loss[], allowed: readonly string[] = []): string {
    const keys = JSON.stringify([...new Set([...allowed, ...losses.map((l) => l.consent)])]);
    return [
        `burrow refuses ${losses.length === 1 ? "a change that loses" : `${losses.length} changes that lose`} data; nothing was changed:`,
        ...losses.map((l) => `  - ${l.message}`),
        `To allow exactly ${losses.length === 1 ? "this" : "these"}, set burrow:allowDataLoss and run up again:`,
        `  npm run pulumi -- config set burrow:allowDataLoss ${shellQuote(keys)}`,
        `(a library user passes allowDataLoss: ${keys}). Remove it afterwards (config rm burrow:allowDataLoss), so the next data-losing change asks again.`,
    ].join("\n");
}

/** Notable changes that lose no data but are worth a line in the preview. */
export function notices(changes: Change[]): string[] {
    return changes
        .filter((c) => c.action === "redeclare" && c.kind === "exchanges")
        .map((c) => `exchange ${c.label}: ${c.detail}: re-declaring it; its bindings are created again`);
}

/** The secret parts of an import: users' passwords or given hashes, shovels' and upstreams' URIs. */
export interface ImportSecrets {
    /** By user label. */
    passwords?: Record<string, string>;
    /** By user label: a hash given instead of a password (burrow:users[].passwordHash). */
    passwordHashes?: Record<string, string>;
    uris?: SecretUris;
}

export interface ImportOptions {
    /** Replicas a new quorum queue starts with, by queue label. */
    groupSizes?: Record<string, number>;
    /** Kinds to leave out (a restore without passwords leaves out users). */
    without?: Kind[];
    /** Only these kinds (the second step of an import: shovels and federation last). */
    only?: Kind[];
    /** Objects to leave out, by kind and label (one-shot shovels that already ran). */
    skip?: Partial<Record<Kind, string[]>>;
    /** Vhosts whose metadata is sent in full even where undeclared: a declared description or tags was removed. */
    resetVhosts?: string[];
}

const SHA256 = "rabbit_password_hashing_sha256";

/** RabbitMQ's import document for the objects, with the users' password hashes, the real URIs and the quorum queues' group sizes. */
export function importDocument(d: Partial<Definitions>, secrets: ImportSecrets = {}, o: ImportOptions = {}) {
    const all = <T>(kind: Kind): Array<[string, T]> =>
        o.without?.includes(kind) || (o.only && !o.only.includes(kind))
            ? []
            : Object.entries(d[kind] ?? {})
                  .filter(([label]) => !o.skip?.[kind]?.includes(label))
                  .map(([label, text]) => [label, parseDefinition<T>(text)]);
    const vhosts = all<VhostDefinition>("vhosts");
    const parameter = (kind: keyof typeof PARAMETER_COMPONENTS) =>
        all<ParameterDefinition>(kind).map(([label, x]) => ({
            vhost: x.vhost,
            component: PARAMETER_COMPONENTS[kind],
            name: x.name,
            value: withUris(kind, label, x.value, secrets.uris),
        }));
    return {
        vhosts: vhosts.map(([label, v]) => vhostDocument(v, o.resetVhosts?.includes(label) ?? false)),
        users: all<UserDefinition>("users").map(([label, u]) => {
            const hash = secrets.passwordHashes?.[label];
            const password = secrets.passwords?.[label];
            if (hash === undefined && password === undefined)
                throw new Error(`user "${u.name}" has no password to import`);
            return {
                name: u.name,
                password_hash: hash ?? rabbitPasswordHash(password!),
                hashing_algorithm: hash !== undefined ? (u.hashing_algorithm ?? SHA256) : SHA256,
                tags: u.tags,
                ...(u.limits ? { limits: u.limits } : {}),
            };
        }),
        permissions: all<PermissionDefinition>("permissions").map(([, p]) => p),
        topic_permissions: all<TopicPermissionDefinition>("topicPermissions").map(([, t]) => t),
        parameters: [
            ...vhosts
                .filter(([, v]) => v.limits && Object.keys(v.limits).length > 0)
                .map(([, v]) => ({ vhost: v.name, component: "vhost-limits", name: "limits", value: v.limits })),
            ...all<PolicyDefinition>("operatorPolicies").map(([, p]) => ({
                vhost: p.vhost,
                component: PARAMETER_COMPONENTS.operatorPolicies,
                name: p.name,
                value: {
                    pattern: p.pattern,
                    definition: p.definition,
                    priority: p.priority,
                    "apply-to": p["apply-to"],
                },
            })),
            ...parameter("federationUpstreams"),
            ...parameter("federationUpstreamSets"),
            ...parameter("shovels"),
        ],
        global_parameters: all<GlobalParameterDefinition>("globalParameters").map(([, g]) => g),
        policies: all<PolicyDefinition>("policies").map(([, p]) => p),
        queues: all<QueueDefinition>("queues").map(([label, q]) =>
            q.arguments["x-queue-type"] === "quorum" && o.groupSizes?.[label] !== undefined
                ? { ...q, arguments: { ...q.arguments, "x-quorum-initial-group-size": o.groupSizes[label] } }
                : q,
        ),
        exchanges: all<ExchangeDefinition>("exchanges").map(([, x]) => x),
        bindings: all<BindingDefinition>("bindings").map(([, b]) => b),
    };
}

/** A vhost as RabbitMQ imports it: metadata only where declared (a plain-string vhost is just its name). */
function vhostDocument(v: VhostDefinition, reset: boolean) {
    const declared = v.description !== undefined || v.tags !== undefined || v.default_queue_type !== undefined;
    if (!declared && !reset) return { name: v.name };
    const metadata = {
        description: v.description ?? "",
        tags: v.tags ?? [],
        ...(v.default_queue_type !== undefined ? { default_queue_type: v.default_queue_type } : {}),
    };
    // 4.x reads `metadata`; the top-level copies are what 3.x reads.
    return { name: v.name, ...metadata, metadata };
}

/** The number of objects in an import document. */
export const objectCount = (doc: ReturnType<typeof importDocument>) =>
    Object.values(doc).reduce((n, xs) => n + xs.length, 0);

/** RabbitMQ's definitions export (GET /api/definitions): the parts burrow reads. */
export interface BrokerExport {
    vhosts?: Array<{
        name: string;
        description?: string;
        tags?: string[];
        default_queue_type?: string;
        metadata?: Record<string, unknown>;
    }>;
    users?: Array<{ name: string; password_hash?: string; limits?: Record<string, number> }>;
    permissions?: PermissionDefinition[];
    topic_permissions?: TopicPermissionDefinition[];
    parameters?: Array<{ vhost: string; component: string; name: string; value: unknown }>;
    global_parameters?: Array<{ name: string; value: unknown }>;
    policies?: Array<{ vhost: string; name: string }>;
    queues?: Array<{ vhost: string; name: string }>;
    exchanges?: Array<{ vhost: string; name: string }>;
    bindings?: BindingDefinition[];
}

const sameLimits = (declared: Record<string, number> | undefined, live: Record<string, unknown> | undefined) =>
    Object.entries(declared ?? {}).every(([k, v]) => (live ?? {})[k] === v);

/**
 * The stored objects the broker still holds as declared, by kind. Queues, exchanges,
 * bindings, policies, permissions and topic permissions count by presence; vhosts' declared
 * metadata and limits, users' limits and given hashes, global parameters, operator policies,
 * federation upstreams and sets and shovels by value too: one changed on the broker counts as
 * gone, so the next up sets it again. A one-shot shovel that is gone has done its work and
 * counts as present.
 */
export function foundOnBroker(
    live: BrokerExport,
    stored: Partial<Definitions>,
    secrets: ImportSecrets = {},
): Record<Kind, Set<string>> {
    // Each lookup table is built once, on first use (1000 queues must not cost 1000 scans).
    const memo = new Map<string, unknown>();
    const once = <T>(key: string, make: () => T): T => {
        if (!memo.has(key)) memo.set(key, make());
        return memo.get(key) as T;
    };
    const params = (component: string) =>
        once(
            `p:${component}`,
            () =>
                new Map(
                    (live.parameters ?? [])
                        .filter((x) => x.component === component)
                        .map((x) => [objectLabel(x.vhost, x.name), x.value] as const),
                ),
        );
    const limits = params("vhost-limits");
    const liveVhosts = new Map((live.vhosts ?? []).map((v) => [vhostLabel(v.name), v]));
    const liveUsers = new Map((live.users ?? []).map((u) => [userLabel(u.name), u]));
    const globals = new Map((live.global_parameters ?? []).map((g) => [g.name, g.value]));
    const names = <T>(key: string, xs: T[] | undefined, label: (x: T) => string) =>
        once(key, () => new Set((xs ?? []).map(label)));
    const present: Record<Kind, (label: string, text: unknown) => boolean> = {
        vhosts: (label, text) => {
            const v = parseDefinition<VhostDefinition>(text);
            const lv = liveVhosts.get(label);
            if (!lv) return false;
            const meta = {
                description: lv.description,
                tags: lv.tags,
                default_queue_type: lv.default_queue_type,
                ...(lv.metadata ?? {}),
            };
            if (v.description !== undefined && (meta.description ?? "") !== v.description) return false;
            if (
                v.tags !== undefined &&
                canonicalJson([...((meta.tags as string[]) ?? [])].sort()) !== canonicalJson([...v.tags].sort())
            )
                return false;
            if (v.default_queue_type !== undefined && meta.default_queue_type !== v.default_queue_type) return false;
            const limitsLabel = objectLabel(v.name, "limits");
            return sameLimits(v.limits, limits.get(limitsLabel) as Record<string, unknown> | undefined);
        },
        users: (label, text) => {
            const u = parseDefinition<UserDefinition>(text);
            const lu = liveUsers.get(label);
            if (!lu || !sameLimits(u.limits, lu.limits)) return false;
            const hash = secrets.passwordHashes?.[label];
            return hash === undefined || lu.password_hash === hash;
        },
        permissions: (label) =>
            names("permissions", live.permissions, (p) => permissionLabel(p.vhost, p.user)).has(label),
        topicPermissions: (label) =>
            names("topic_permissions", live.topic_permissions, (t) =>
                topicPermissionLabel(t.vhost, t.user, t.exchange),
            ).has(label),
        globalParameters: (label, text) =>
            globals.has(label) &&
            canonicalJson(globals.get(label)) === canonicalJson(parseDefinition<GlobalParameterDefinition>(text).value),
        policies: (label) => names("policies", live.policies, (p) => objectLabel(p.vhost, p.name)).has(label),
        operatorPolicies: (label, text) => {
            const p = parseDefinition<PolicyDefinition>(text);
            const lv = params(PARAMETER_COMPONENTS.operatorPolicies).get(label);
            return (
                lv !== undefined &&
                canonicalJson(lv) ===
                    canonicalJson({
                        pattern: p.pattern,
                        definition: p.definition,
                        priority: p.priority,
                        "apply-to": p["apply-to"],
                    })
            );
        },
        queues: (label) => names("queues", live.queues, (q) => objectLabel(q.vhost, q.name)).has(label),
        exchanges: (label) => names("exchanges", live.exchanges, (x) => objectLabel(x.vhost, x.name)).has(label),
        bindings: (label) =>
            names("bindings", live.bindings, (b) => bindingLabel({ ...b, arguments: b.arguments ?? {} })).has(label),
        federationUpstreams: (label, text) => sameParameter("federationUpstreams", label, text),
        federationUpstreamSets: (label, text) => sameParameter("federationUpstreamSets", label, text),
        shovels: (label, text) => {
            const x = parseDefinition<ParameterDefinition>(text);
            if (isOneShot(x) && !params(PARAMETER_COMPONENTS.shovels).has(label)) return true;
            return sameParameter("shovels", label, text);
        },
    };
    function sameParameter(kind: keyof typeof PARAMETER_COMPONENTS, label: string, text: unknown): boolean {
        const lv = params(PARAMETER_COMPONENTS[kind]).get(label);
        const x = parseDefinition<ParameterDefinition>(text);
        return lv !== undefined && canonicalJson(lv) === canonicalJson(withUris(kind, label, x.value, secrets.uris));
    }
    const out = {} as Record<Kind, Set<string>>;
    for (const kind of KINDS) {
        out[kind] = new Set(
            Object.entries(stored[kind] ?? {})
                .filter(([l, t]) => present[kind](l, t))
                .map(([l]) => l),
        );
    }
    return out;
}
