// Dynamic provider: everything the broker holds that burrow declares — vhosts, users and
// their permissions and topic permissions, queues, exchanges, bindings, policies — as ONE
// resource, applied with one call to the management API's definitions import (the way
// RabbitMQ itself loads a topology), however many objects there are. Inputs are maps keyed
// by each object's label (lib/labels.ts), so a preview names each object added, changed or
// removed.
//
// What an update does is planned first (lib/definitions-plan.ts). A queue or exchange cannot
// change on a running broker, so a changed one is deleted and declared again; a change that
// would lose messages (a queue or stream re-declared or removed while it holds messages, a
// vhost removed with messages in it) is named in the preview and refused unless the user
// consented (burrow:allowDataLoss). Empty queues are deleted with the broker's if-empty
// guard. Delete removes nothing: the broker's data goes with its node, or is kept with it
// (burrow:keepData).
//
// Vhost metadata and limits, user limits and given password hashes, operator policies,
// global parameters, federation upstreams and upstream sets, and shovels are in RabbitMQ's
// definitions format too (vhosts, users, parameters, global_parameters), so they travel in
// the same import; shovels and federation go in a second import right after the first, so
// that a link that starts at once finds its queues declared. Shovels' and upstreams' URIs
// hold passwords: the state and the preview show them masked, the real ones are a secret
// input (`uris`). After an up, each shovel's and upstream's status is read back (`status`).
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import {
    BindingDefinition,
    BrokerExport,
    Change,
    Definitions,
    ImportOptions,
    ImportSecrets,
    KINDS,
    KIND_NAMES,
    Kind,
    LiveCounts,
    Loss,
    PARAMETER_COMPONENTS,
    ParameterDefinition,
    STARTED_LAST,
    SecretUris,
    canonical,
    consented,
    foundOnBroker,
    importDocument,
    isOneShot,
    lossesOf,
    needsLiveCounts,
    notices,
    objectCount,
    parseDefinition,
    planChanges,
    refusal,
    secretUriKey,
} from "../../lib/definitions-plan";
import { engineWarn } from "../../lib/engine-log";
import { causedBy, importRefusedMessage, isManagementApiError, isUnreachable } from "../../lib/errors";
import { objectLabel } from "../../lib/labels";
import { ManagementApi, get, request, seg, waitForApi } from "../../lib/management-client";
import { unwrapSecrets } from "../../lib/secrets";

export { KINDS, Kind, Definitions };

export interface BrokerDefinitionsInputs extends Definitions {
    /** Where and as whom (secret). A new password is stored by an update that changes nothing on the broker. */
    api: ManagementApi;
    /** The broker node's identity: a new node gets every object imported again. */
    generation: string;
    /** Each user's password, by user label (secret). */
    passwords: Record<string, string>;
    /** Hashes given instead of passwords, by user label (secret; absent when none). */
    passwordHashes?: Record<string, string>;
    /** Shovels' and federation upstreams' real URIs, by secretUriKey (secret; absent when none). */
    uris?: SecretUris;
    /** Replicas a new quorum queue starts with, by queue label; how it starts is not what it is. */
    groupSizes: Record<string, number>;
    /** Consent to lose data: "queue <label>", "vhost <label>", or "*" (burrow:allowDataLoss). */
    allowDataLoss: string[];
}
export interface BrokerDefinitionsOutputs extends BrokerDefinitionsInputs {
    /** Number of objects, by kind (for people reading the state). */
    counts: Record<Kind, number>;
    /**
     * What the broker says of each shovel and federation upstream after the last create or
     * update, by "shovel <label>" / "federation-upstream <label>": "running", or why not.
     */
    status: Record<string, string>;
}

/** RabbitMQ's default collect_statistics_interval: how old the API's message counts may be. */
const STATS_INTERVAL_MS = 5000;

/** Messages and types of every queue, by label; what cannot be read is said, not guessed. */
async function liveCounts(api: ManagementApi): Promise<LiveCounts> {
    try {
        const queues =
            (await get<
                Array<{ vhost: string; name: string; type?: string; messages?: number; message_bytes?: number }>
            >(api, "/api/queues?columns=vhost,name,type,messages,message_bytes")) ?? [];
        const messages: Record<string, number> = {};
        const types: Record<string, string> = {};
        const bytes: Record<string, number> = {};
        for (const q of queues) {
            const label = objectLabel(q.vhost, q.name);
            messages[label] = q.messages ?? 0;
            if (q.type) types[label] = q.type;
            if (q.message_bytes !== undefined) bytes[label] = q.message_bytes;
        }
        return { messages, types, bytes };
    } catch (e) {
        return { messages: {}, types: {}, unreadable: (e as Error).message };
    }
}

/** The losses of these changes that nobody consented to, and those consented to. */
async function judge(
    changes: Change[],
    olds: Partial<Definitions>,
    news: Partial<Definitions>,
    allow: string[],
    api: ManagementApi,
) {
    let live: LiveCounts = needsLiveCounts(changes, news) ? await liveCounts(api) : { messages: {}, types: {} };
    // The API's counts are the broker's last statistics sample (collect_statistics_interval,
    // 5 s): a queue filled since then still reads empty. One that would be deleted or
    // re-declared and reads empty is read again after a new sample; the larger count counts.
    const atStake = changes
        .filter((c) => c.kind === "queues" && (c.action === "delete" || c.action === "redeclare"))
        .map((c) => c.label);
    if (!live.unreadable && atStake.some((l) => live.messages[l] === 0)) {
        await new Promise((r) => setTimeout(r, STATS_INTERVAL_MS + 500));
        const again = await liveCounts(api);
        if (!again.unreadable)
            for (const l of atStake)
                if (again.messages[l] !== undefined)
                    live = {
                        ...live,
                        messages: { ...live.messages, [l]: Math.max(live.messages[l] ?? 0, again.messages[l]) },
                    };
    }
    const losses: Loss[] = lossesOf(changes, olds, live, news);
    return {
        refused: losses.filter((l) => !consented(l, allow)),
        allowed: losses.filter((l) => consented(l, allow)),
    };
}

async function deleteBinding(api: ManagementApi, b: BindingDefinition): Promise<void> {
    const between = `/api/bindings/${seg(b.vhost)}/e/${seg(b.source)}/${b.destination_type === "exchange" ? "e" : "q"}/${seg(b.destination)}`;
    const found =
        (await get<Array<{ routing_key: string; arguments: Record<string, unknown>; properties_key: string }>>(
            api,
            between,
        )) ?? [];
    const same = (a: unknown, c: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(c ?? {});
    for (const f of found.filter((f) => f.routing_key === b.routing_key && same(f.arguments, b.arguments))) {
        await request(api, "DELETE", `${between}/${seg(f.properties_key)}`, undefined, [404]);
    }
}

/** The API path that deletes one object; topic permissions go per (user, vhost): the API has no finer delete. */
function deletePath(kind: Kind, d: Partial<Definitions>, label: string): string {
    const o = parseDefinition<Record<string, string>>(d[kind]?.[label]);
    switch (kind) {
        case "vhosts":
            return `/api/vhosts/${seg(o.name)}`;
        case "users":
            return `/api/users/${seg(o.name)}`;
        case "permissions":
            return `/api/permissions/${seg(o.vhost)}/${seg(o.user)}`;
        case "topicPermissions":
            return `/api/topic-permissions/${seg(o.vhost)}/${seg(o.user)}`;
        case "globalParameters":
            return `/api/global-parameters/${seg(o.name)}`;
        case "operatorPolicies":
            return `/api/operator-policies/${seg(o.vhost)}/${seg(o.name)}`;
        case "federationUpstreams":
        case "federationUpstreamSets":
        case "shovels":
            return `/api/parameters/${PARAMETER_COMPONENTS[kind]}/${seg(o.vhost)}/${seg(o.name)}`;
        default:
            return `/api/${kind}/${seg(o.vhost)}/${seg(o.name)}`;
    }
}

/** Runs fn over items, at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Before the guarded queue deletions: what moves messages (a running shovel would declare its queue again). */
const DELETE_FIRST: Kind[] = ["shovels", "federationUpstreamSets", "federationUpstreams"];
/** After the guarded queue deletions: dependents first, vhosts last. */
const DELETE_ORDER: Kind[] = [
    "bindings",
    "policies",
    "operatorPolicies",
    "globalParameters",
    "topicPermissions",
    "permissions",
    "exchanges",
    "users",
    "vhosts",
];

const groupSizesOf = (d: Partial<Definitions>) => (d as Partial<BrokerDefinitionsInputs>).groupSizes ?? {};

/** A guarded delete the broker refused: the queue (or vhost) holds data now. */
class NotEmptyError extends Error {}

async function deleteOne(api: ManagementApi, olds: Partial<Definitions>, kind: Kind, c: Change, guard: boolean) {
    const what = `${KIND_NAMES[kind]} ${c.label}`;
    try {
        if (kind === "bindings")
            return await deleteBinding(api, parseDefinition<BindingDefinition>(olds.bindings?.[c.label]));
        if (kind === "vhosts" && guard) {
            // The broker has no if-empty for vhosts: burrow looks right before deleting.
            const name = parseDefinition<{ name: string }>(olds.vhosts?.[c.label]).name;
            const queues = (await get<Array<{ name: string }>>(api, `/api/queues/${seg(name)}?columns=name`)) ?? [];
            if (queues.length > 0)
                throw new NotEmptyError(
                    `it still holds ${queues.length} queue(s): ${queues.map((q) => q.name).join(", ")}`,
                );
        }
        const suffix = kind === "queues" && guard ? "?if-empty=true" : "";
        await request(api, "DELETE", `${deletePath(kind, olds, c.label)}${suffix}`, undefined, [404]);
    } catch (e) {
        if (e instanceof NotEmptyError) throw new NotEmptyError(`${what}: ${e.message}`);
        if (isManagementApiError(e) && e.status === 400 && kind === "queues")
            throw new NotEmptyError(`${what}: ${e.reason}`);
        throw new Error(`deleting ${what}: ${(e as Error).message}`, { cause: e });
    }
}

/**
 * Deletes what the plan removes or declares again. Queues go first, each with the broker's
 * if-empty guard unless the user consented to lose its messages (the management API's
 * message counts lag by a few seconds: the guard is what decides). If the broker refuses one
 * because it holds messages now, what was already deleted is put back as it was and the
 * update stops: nothing is lost, nothing is half-applied. A topic permission is deleted with
 * all of its user's others in that vhost (the API has no finer delete); the import that
 * follows puts back those that remain.
 */
async function deleteFor(api: ManagementApi, olds: Partial<Definitions>, changes: Change[], allow: string[]) {
    const guarded = (consent: string) => !consented({ consent, message: "" }, allow);
    const gone = (kind: Kind) =>
        changes.filter((c) => c.kind === kind && (c.action === "delete" || c.action === "redeclare"));
    const deleteKind = async (kind: Kind) => {
        // One DELETE per (user, vhost) for topic permissions.
        const byPath = new Map<string, Change>();
        for (const c of gone(kind)) byPath.set(kind === "bindings" ? c.label : deletePath(kind, olds, c.label), c);
        await pool([...byPath.values()], 8, (c) => deleteOne(api, olds, kind, c, guarded(`vhost ${c.label}`)));
    };
    try {
        for (const kind of DELETE_FIRST) await deleteKind(kind);
        await pool(gone("queues"), 8, (c) => deleteOne(api, olds, "queues", c, guarded(`queue ${c.label}`)));
        for (const kind of DELETE_ORDER) await deleteKind(kind);
    } catch (e) {
        if (!(e instanceof NotEmptyError)) throw e;
        // Put back what was deleted (empty queues, in their old form, shovels with their real
        // URIs); objects that were not deleted are left alone by the import. One-shot shovels
        // that already ran stay gone.
        const old = olds as Partial<BrokerDefinitionsInputs>;
        const putBack = importDocument(
            olds,
            { uris: old.uris },
            { groupSizes: groupSizesOf(olds), without: ["users"], skip: { shovels: oneShots(olds) } },
        );
        await request(api, "POST", "/api/definitions", putBack).catch(() => undefined);
        throw new Error(
            `${e.message}; burrow deleted nothing that holds data and put back what it had already changed. ` +
                `Drain it, or consent with burrow:allowDataLoss, and run up again.`,
            { cause: e },
        );
    }
}

/** The one-shot shovels (src-delete-after) of these definitions. */
const oneShots = (d: Partial<Definitions>) =>
    Object.entries(d.shovels ?? {})
        .filter(([, t]) => isOneShot(parseDefinition<ParameterDefinition>(t)))
        .map(([l]) => l);

const secretsOf = (i: Partial<BrokerDefinitionsInputs>): ImportSecrets => ({
    passwords: i.passwords,
    passwordHashes: i.passwordHashes,
    uris: i.uris,
});

/** Limits a vhost or user no longer declares: the import sets limits but never removes one. */
async function dropRemovedLimits(
    api: ManagementApi,
    olds: Partial<Definitions>,
    news: Partial<Definitions>,
    changes: Change[],
) {
    for (const c of changes.filter((x) => x.action === "update" && (x.kind === "vhosts" || x.kind === "users"))) {
        const o = parseDefinition<{ name: string; limits?: Record<string, number> }>(olds[c.kind]?.[c.label]);
        const n = parseDefinition<{ limits?: Record<string, number> }>(news[c.kind]?.[c.label]);
        const base = c.kind === "vhosts" ? "/api/vhost-limits" : "/api/user-limits";
        for (const k of Object.keys(o.limits ?? {}).filter((k) => !(k in (n.limits ?? {}))))
            await request(api, "DELETE", `${base}/${seg(o.name)}/${seg(k)}`, undefined, [404]);
    }
}

/**
 * Imports the objects: everything in one POST, then shovels and federation in a second one
 * (a shovel starts at once and would declare a queue the first import is about to declare
 * with its own type and arguments).
 */
async function importAll(i: BrokerDefinitionsInputs, o: ImportOptions = {}): Promise<BrokerDefinitionsOutputs> {
    await waitForApi(i.api, 60_000);
    for (const step of [{ without: STARTED_LAST }, { only: STARTED_LAST }]) {
        const doc = importDocument(i, secretsOf(i), { ...o, groupSizes: i.groupSizes, ...step });
        const total = objectCount(doc);
        if (total === 0) continue;
        // RabbitMQ declares everything before it answers: ~3 ms an object here, so 10,000 queues
        // and bindings take tens of seconds. Allow 30 s plus 20 ms an object.
        await request(i.api, "POST", "/api/definitions", doc, [], 30_000 + 20 * total).catch((e: Error) => {
            const what = KINDS.filter((k) => Object.keys(i[k] ?? {}).length > 0)
                .map((k) => `${Object.keys(i[k] ?? {}).length} ${k}`)
                .join(", ");
            // The broker refused an object: say which, and why, in its own words decoded.
            if (isManagementApiError(e) && (e.status === 400 || e.status >= 500))
                throw new Error(importRefusedMessage(e.status, e.reason, what), { cause: e });
            throw new Error(`importing the broker's definitions (${what}): ${e.message}`, { cause: e });
        });
    }
    const counts = Object.fromEntries(KINDS.map((k) => [k, Object.keys(i[k] ?? {}).length])) as Record<Kind, number>;
    const status = await linkStatus(i.api, i);
    for (const [what, state] of Object.entries(status))
        if (!/^(running|completed)/.test(state)) await engineWarn(`${what}: ${state}`);
    return { ...i, counts, status };
}

/** A broker's error text with any password in a URI masked. */
const masked = (s: string) => s.replace(/(amqps?:\/\/[^:@/\s]*:)[^@\s]*@/g, "$1***@");

/**
 * Each shovel's and federation upstream's status, read from /api/shovels and
 * /api/federation-links, waiting up to 15 s for links that are still starting.
 */
export async function linkStatus(
    api: ManagementApi,
    d: Partial<Definitions>,
    waitMs = 15_000,
): Promise<Record<string, string>> {
    const parsed = (kind: Kind) =>
        Object.entries(d[kind] ?? {}).map(([l, t]) => [l, parseDefinition<ParameterDefinition>(t)] as const);
    const shovels = parsed("shovels");
    const upstreams = parsed("federationUpstreams");
    if (shovels.length === 0 && upstreams.length === 0) return {};
    const deadline = Date.now() + waitMs;
    for (;;) {
        const out: Record<string, string> = {};
        let settled = true;
        const live =
            shovels.length > 0
                ? ((await get<Array<{ vhost: string; name: string; state: string; reason?: unknown }>>(
                      api,
                      "/api/shovels",
                  )) ?? [])
                : [];
        for (const [label, x] of shovels) {
            const key = `shovel ${label}`;
            const s = live.find((l) => l.vhost === x.vhost && l.name === x.name);
            if (s?.state === "running") out[key] = "running";
            else if (s) {
                out[key] = masked(
                    `not running: ${s.state}${s.reason ? ` (${String(s.reason)})` : ""} after ${waitMs / 1000} s; the broker log says why (a wrong URI or password, a destination it cannot reach)`,
                );
                settled = false;
            } else if (
                isOneShot(x) &&
                (await get(api, `/api/parameters/shovel/${seg(x.vhost)}/${seg(x.name)}`)) === undefined
            ) {
                out[key] = "completed (it deleted itself, as its deleteAfter says)";
            } else {
                out[key] =
                    "not running: the broker reports no status for it (RabbitMQ leaves a shovel that failed to connect out of /api/shovels while it waits to retry; the broker log says why)";
                settled = false;
            }
        }
        const links =
            upstreams.length > 0
                ? ((await get<Array<{ vhost: string; upstream: string; status: string; error?: string }>>(
                      api,
                      "/api/federation-links",
                  )) ?? [])
                : [];
        for (const [label, x] of upstreams) {
            const key = `federation-upstream ${label}`;
            const mine = links.filter((l) => l.vhost === x.vhost && l.upstream === x.name);
            const bad = mine.find((l) => l.status !== "running");
            if (mine.length === 0) out[key] = "no links (no policy applies it to an exchange or queue)";
            else if (!bad) out[key] = `running (${mine.length} link${mine.length === 1 ? "" : "s"})`;
            else {
                out[key] = masked(`${bad.status}${bad.error ? `: ${bad.error}` : ""}`);
                settled = false;
            }
        }
        if (settled || Date.now() > deadline) return out;
        await new Promise((r) => setTimeout(r, 500));
    }
}

export const brokerDefinitionsProvider: pulumi.dynamic.ResourceProvider<
    BrokerDefinitionsInputs,
    BrokerDefinitionsOutputs
> = userFacingProvider({
    async create(inputs) {
        return { id: "definitions", outs: await importAll(inputs) };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changes = planChanges(olds, news);
        // Judged on the broker as it is now, with the credentials that work now.
        const { refused, allowed } = await judge(changes, olds, news, news.allowDataLoss ?? [], olds.api);
        if (refused.length > 0) throw new Error(refusal(refused, news.allowDataLoss));
        for (const l of allowed) await engineWarn(`${l.message} (allowed by burrow:allowDataLoss)`);
        for (const n of notices(changes)) await engineWarn(n);
        // Consent and group sizes are how, not what; everything else is part of the resource,
        // credentials included (a diff that ignored them would keep stale ones for later deletes).
        const changed = changedInputs(olds, news, ["allowDataLoss", "groupSizes", "status", ...KINDS]);
        return { changes: changes.length > 0 || changed.length > 0, replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changes = planChanges(olds, news);
        const gone = changes.filter((c) => c.action === "delete" || c.action === "redeclare");
        await waitForApi(news.api, 60_000);
        const { refused } = await judge(changes, olds, news, news.allowDataLoss ?? [], news.api);
        if (refused.length > 0) throw new Error(refusal(refused, news.allowDataLoss));
        if (gone.length > 0) await deleteFor(news.api, olds, gone, news.allowDataLoss ?? []);
        await dropRemovedLimits(news.api, olds, news, changes);
        // A one-shot shovel runs when added or changed, never again because something else changed.
        const uri = (d: Partial<BrokerDefinitionsInputs>, l: string) =>
            canonical(d.uris?.[secretUriKey("shovels", l)] ?? {});
        const ran = oneShots(news).filter(
            (l) =>
                olds.shovels?.[l] !== undefined &&
                canonical(olds.shovels[l]) === canonical(news.shovels[l]) &&
                uri(olds, l) === uri(news, l),
        );
        // A vhost whose declared metadata went away gets RabbitMQ's defaults back.
        const resetVhosts = changes
            .filter((c) => c.kind === "vhosts" && c.action === "update")
            .map((c) => c.label)
            .filter((l) => {
                const o = parseDefinition<Record<string, unknown>>(olds.vhosts?.[l]);
                return o.description !== undefined || o.tags !== undefined;
            });
        return { outs: await importAll(news, { skip: { shovels: ran }, resetVhosts }) };
    },
    async read(id, props) {
        if (!props) return { id, props };
        // Refresh: objects someone deleted on the broker drop out of the state, so the next up
        // declares them again. A broker that cannot be asked (down, refusing the credentials)
        // tells nothing: refresh fails with the reason and the state stays as it is.
        let live: Record<string, unknown> | undefined;
        try {
            live = await get<Record<string, unknown>>(props.api, "/api/definitions");
        } catch (e) {
            const why = causedBy(e, isUnreachable)
                ? "the broker could not be reached"
                : "the broker refused the request";
            throw new Error(
                `refresh cannot tell which of the broker's objects exist (${why}: ${(e as Error).message}); the state was not changed`,
                { cause: e },
            );
        }
        if (!live) return { id, props };
        const present = foundOnBroker(live as BrokerExport, props, secretsOf(unwrapSecrets(props)));
        const kept = { ...props };
        for (const kind of KINDS) {
            kept[kind] = Object.fromEntries(
                Object.entries(props[kind] ?? {}).filter(([label]) => present[kind].has(label)),
            );
        }
        return { id, props: kept };
    },
    async delete() {
        // Nothing: the broker's objects live and die with its node (a destroy removes the node and,
        // unless burrow:keepData, its data). Deleting them here would empty a kept broker, and on
        // a replacement would undo what the new resource had just declared.
    },
});

export class BrokerDefinitions extends DynamicResource {
    declare readonly counts: pulumi.Output<Record<Kind, number>>;
    declare readonly status: pulumi.Output<Record<string, string>>;
    constructor(
        name: string,
        args: { [K in keyof BrokerDefinitionsInputs]: pulumi.Input<BrokerDefinitionsInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { brokerDefinitionsProvider }),
            "BrokerDefinitions",
            name,
            { ...args, counts: undefined, status: undefined },
            { ...opts, additionalSecretOutputs: ["api", "passwords", "passwordHashes", "uris"] },
        );
    }
}
