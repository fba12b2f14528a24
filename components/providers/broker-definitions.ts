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
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import {
    BindingDefinition,
    Change,
    Definitions,
    KINDS,
    Kind,
    LiveCounts,
    Loss,
    PermissionDefinition,
    TopicPermissionDefinition,
    consented,
    importDocument,
    lossesOf,
    notices,
    parseDefinition,
    planChanges,
    refusal,
} from "../../lib/definitions-plan";
import { engineWarn } from "../../lib/engine-log";
import { causedBy, importRefusedMessage, isManagementApiError, isUnreachable } from "../../lib/errors";
import {
    bindingLabel,
    objectLabel,
    permissionLabel,
    topicPermissionLabel,
    userLabel,
    vhostLabel,
} from "../../lib/labels";
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
    /** Replicas a new quorum queue starts with, by queue label; how it starts is not what it is. */
    groupSizes: Record<string, number>;
    /** Consent to lose data: "queue <label>", "vhost <label>", or "*" (burrow:allowDataLoss). */
    allowDataLoss: string[];
}
export interface BrokerDefinitionsOutputs extends BrokerDefinitionsInputs {
    /** Number of objects, by kind (for people reading the state). */
    counts: Record<Kind, number>;
}

/** Messages and types of every queue, by label; what cannot be read is said, not guessed. */
async function liveCounts(api: ManagementApi): Promise<LiveCounts> {
    try {
        const queues =
            (await get<Array<{ vhost: string; name: string; type?: string; messages?: number }>>(
                api,
                "/api/queues?columns=vhost,name,type,messages",
            )) ?? [];
        const messages: Record<string, number> = {};
        const types: Record<string, string> = {};
        for (const q of queues) {
            const label = objectLabel(q.vhost, q.name);
            messages[label] = q.messages ?? 0;
            if (q.type) types[label] = q.type;
        }
        return { messages, types };
    } catch (e) {
        return { messages: {}, types: {}, unreadable: (e as Error).message };
    }
}

/** The losses of these changes that nobody consented to, and those consented to. */
async function judge(changes: Change[], olds: Partial<Definitions>, allow: string[], api: ManagementApi) {
    const risky = changes.some(
        (c) =>
            (c.kind === "queues" && (c.action === "delete" || c.action === "redeclare")) ||
            (c.kind === "vhosts" && c.action === "delete"),
    );
    const losses: Loss[] = risky ? lossesOf(changes, olds, await liveCounts(api)) : [];
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

/** After the guarded queue deletions: dependents first, vhosts last. */
const DELETE_ORDER: Kind[] = [
    "bindings",
    "policies",
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
    const what = `${kind === "topicPermissions" ? "topic permission" : kind.slice(0, -1)} ${c.label}`;
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
    try {
        await pool(gone("queues"), 8, (c) => deleteOne(api, olds, "queues", c, guarded(`queue ${c.label}`)));
        for (const kind of DELETE_ORDER) {
            // One DELETE per (user, vhost) for topic permissions.
            const byPath = new Map<string, Change>();
            for (const c of gone(kind)) byPath.set(kind === "bindings" ? c.label : deletePath(kind, olds, c.label), c);
            await pool([...byPath.values()], 8, (c) => deleteOne(api, olds, kind, c, guarded(`vhost ${c.label}`)));
        }
    } catch (e) {
        if (!(e instanceof NotEmptyError)) throw e;
        // Put back what was deleted (empty queues, in their old form); objects that were not
        // deleted are left alone by the import.
        await request(api, "POST", "/api/definitions", importDocument(olds, {}, groupSizesOf(olds), ["users"])).catch(
            () => undefined,
        );
        throw new Error(
            `${e.message}; burrow deleted nothing that holds data and put back what it had already changed. ` +
                `Drain it, or consent with burrow:allowDataLoss, and run up again.`,
            { cause: e },
        );
    }
}

async function importAll(i: BrokerDefinitionsInputs): Promise<BrokerDefinitionsOutputs> {
    await waitForApi(i.api, 60_000);
    const doc = importDocument(i, i.passwords, i.groupSizes);
    const total = Object.values(doc).reduce((n, xs) => n + xs.length, 0);
    if (total > 0) {
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
    return { ...i, counts };
}

/** The labels of what the broker has, by kind, read from its definitions export. */
function presentLabels(live: Record<string, unknown>): Record<Kind, Set<string>> {
    const list = <T>(k: string) => (live[k] as T[] | undefined) ?? [];
    return {
        vhosts: new Set(list<{ name: string }>("vhosts").map((v) => vhostLabel(v.name))),
        users: new Set(list<{ name: string }>("users").map((u) => userLabel(u.name))),
        permissions: new Set(list<PermissionDefinition>("permissions").map((p) => permissionLabel(p.vhost, p.user))),
        topicPermissions: new Set(
            list<TopicPermissionDefinition>("topic_permissions").map((t) =>
                topicPermissionLabel(t.vhost, t.user, t.exchange),
            ),
        ),
        policies: new Set(list<{ vhost: string; name: string }>("policies").map((p) => objectLabel(p.vhost, p.name))),
        queues: new Set(list<{ vhost: string; name: string }>("queues").map((q) => objectLabel(q.vhost, q.name))),
        exchanges: new Set(list<{ vhost: string; name: string }>("exchanges").map((x) => objectLabel(x.vhost, x.name))),
        bindings: new Set(
            list<BindingDefinition>("bindings").map((b) => bindingLabel({ ...b, arguments: b.arguments ?? {} })),
        ),
    };
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
        const { refused, allowed } = await judge(changes, olds, news.allowDataLoss ?? [], olds.api);
        if (refused.length > 0) throw new Error(refusal(refused));
        for (const l of allowed) await engineWarn(`${l.message} (allowed by burrow:allowDataLoss)`);
        for (const n of notices(changes)) await engineWarn(n);
        // Consent and group sizes are how, not what; everything else is part of the resource,
        // credentials included (a diff that ignored them would keep stale ones for later deletes).
        const changed = changedInputs(olds, news, ["allowDataLoss", "groupSizes", ...KINDS]);
        return { changes: changes.length > 0 || changed.length > 0, replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changes = planChanges(olds, news);
        const gone = changes.filter((c) => c.action === "delete" || c.action === "redeclare");
        if (gone.length > 0) {
            await waitForApi(news.api, 60_000);
            const { refused } = await judge(changes, olds, news.allowDataLoss ?? [], news.api);
            if (refused.length > 0) throw new Error(refusal(refused));
            await deleteFor(news.api, olds, gone, news.allowDataLoss ?? []);
        }
        return { outs: await importAll(news) };
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
        const present = presentLabels(live);
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
    constructor(
        name: string,
        args: { [K in keyof BrokerDefinitionsInputs]: pulumi.Input<BrokerDefinitionsInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { brokerDefinitionsProvider }),
            "BrokerDefinitions",
            name,
            { ...args, counts: undefined },
            { ...opts, additionalSecretOutputs: ["api", "passwords"] },
        );
    }
}
