// Dynamic provider: the broker's queues, exchanges, bindings and policies as ONE resource,
// applied with one call to the management API's definitions import (the way RabbitMQ
// itself loads a topology), however many objects there are. Inputs are maps keyed by a
// readable label ("tasks", "shop/orders", "events -> queue:tasks (t.#)"), so a preview
// still shows each object added, changed or removed, by name.
//
// A queue or exchange cannot change type or arguments on a running broker: a changed one
// is deleted and declared again (its messages are lost, as with any re-declaration), and
// the import that follows re-creates the bindings that went with it. Removed objects are
// deleted one by one. A new broker node (`generation` changed) gets everything imported again.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, providerIn } from "../../lib/dynamic-resource";
import { ManagementApi, get, isManagementError, request, seg, waitForApi } from "../../lib/management-client";
import { unwrapSecrets } from "../../lib/secrets";
import { bindingLabel, objectLabel } from "../../lib/labels";
import { causedBy, isUnreachable } from "../../lib/errors";

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

/**
 * The objects, each kind a map from its label to the JSON text of its definition (RabbitMQ's
 * own import format). Text, not nested objects: at 1000 queues + 1000 bindings, converting
 * nested values to and from protobuf on every Check and Diff cost ~2 s per `up`; strings pass
 * through as they are. The CLI still shows each changed object's JSON as a structured diff.
 */
export interface Definitions {
    queues: Record<string, string>;
    exchanges: Record<string, string>;
    bindings: Record<string, string>;
    policies: Record<string, string>;
}
export const KINDS = ["queues", "exchanges", "bindings", "policies"] as const;
export type Kind = (typeof KINDS)[number];

export interface BrokerDefinitionsInputs extends Definitions {
    /** Where and as whom; not part of the topology, so a new admin password changes nothing here. */
    api: ManagementApi;
    /** The broker node's identity: a new node gets every object imported again. */
    generation: string;
}
export interface BrokerDefinitionsOutputs extends BrokerDefinitionsInputs {
    /** Number of objects, by kind (for people reading the state). */
    counts: Record<Kind, number>;
}

export const queueLabel = (q: { vhost: string; name: string }) => objectLabel(q.vhost, q.name);
export const exchangeLabel = queueLabel;
export const policyLabel = queueLabel;
export { bindingLabel };

/** Builds the label maps; two objects with one label (a name reused in a vhost) is an error naming both. */
export function definitionsOf(objects: {
    queues: QueueDefinition[];
    exchanges: ExchangeDefinition[];
    bindings: BindingDefinition[];
    policies: PolicyDefinition[];
}): Definitions {
    const keyed = <T>(kind: string, xs: T[], label: (x: T) => string): Record<string, string> => {
        const out: Record<string, string> = {};
        for (const x of xs) {
            const k = label(x);
            if (k in out) throw new Error(`two ${kind} are both "${k}"; names must be unique within a vhost`);
            out[k] = JSON.stringify(x);
        }
        return out;
    };
    return {
        queues: keyed("queues", objects.queues, queueLabel),
        exchanges: keyed("exchanges", objects.exchanges, exchangeLabel),
        bindings: keyed("bindings", objects.bindings, bindingLabel),
        policies: keyed("policies", objects.policies, policyLabel),
    };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A stored definition: JSON text, or an object in states written by an earlier burrow. */
export function parseDefinition<T>(v: unknown): T {
    return (typeof v === "string" ? JSON.parse(v) : v) as T;
}
/** Key-order-independent text of a definition (Pulumi's state sorts object keys). */
function canonical(v: unknown): string {
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

/** Per object: added, changed or removed, with the property path Pulumi shows for it. */
export function changesBetween(
    olds: Definitions,
    news: Definitions,
): Array<{ kind: Kind; label: string; change: "add" | "update" | "delete" }> {
    const out: Array<{ kind: Kind; label: string; change: "add" | "update" | "delete" }> = [];
    for (const kind of KINDS) {
        const o = olds[kind] ?? {},
            n = news[kind] ?? {};
        for (const label of Object.keys(n)) {
            if (!(label in o)) out.push({ kind, label, change: "add" });
            else if (canonical(o[label]) !== canonical(n[label])) out.push({ kind, label, change: "update" });
        }
        for (const label of Object.keys(o)) if (!(label in n)) out.push({ kind, label, change: "delete" });
    }
    return out;
}

/** What an update deletes before the import: removed objects, and changed queues/exchanges/bindings (they cannot change in place). */
export function deletionsFor(olds: Definitions, news: Definitions): Array<{ kind: Kind; label: string }> {
    // Policies are overwritten by the import; only removed ones are deleted.
    return changesBetween(olds, news).filter(
        (c) => c.change === "delete" || (c.change === "update" && c.kind !== "policies"),
    );
}

/** The import document for the definitions API. */
export function importDocument(d: Definitions) {
    const parsed = <T>(m: Record<string, string>): T[] => Object.values(m).map((t) => parseDefinition<T>(t));
    return {
        queues: parsed<QueueDefinition>(d.queues),
        exchanges: parsed<ExchangeDefinition>(d.exchanges),
        bindings: parsed<BindingDefinition>(d.bindings),
        policies: parsed<PolicyDefinition>(d.policies),
    };
}

async function deleteBinding(api: ManagementApi, b: BindingDefinition): Promise<void> {
    const between = `/api/bindings/${seg(b.vhost)}/e/${seg(b.source)}/${b.destination_type === "exchange" ? "e" : "q"}/${seg(b.destination)}`;
    const found =
        (await get<Array<{ routing_key: string; arguments: Record<string, unknown>; properties_key: string }>>(
            api,
            between,
        )) ?? [];
    for (const f of found.filter((f) => f.routing_key === b.routing_key && same(f.arguments ?? {}, b.arguments))) {
        await request(api, "DELETE", `${between}/${seg(f.properties_key)}`, undefined, [404]);
    }
}

async function deleteObject(api: ManagementApi, d: Definitions, kind: Kind, label: string): Promise<void> {
    const fail = (e: Error): never => {
        throw new Error(`deleting ${kind.slice(0, -1)} "${label}": ${e.message}`, { cause: e });
    };
    if (kind === "bindings")
        return deleteBinding(api, parseDefinition<BindingDefinition>(d.bindings[label])).catch(fail);
    const o = parseDefinition<{ vhost: string; name: string }>(d[kind][label]);
    await request(api, "DELETE", `/api/${kind}/${seg(o.vhost)}/${seg(o.name)}`, undefined, [404]).catch(fail);
}

/** Runs fn over items, at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Bindings first (they hang on queues and exchanges), then policies, queues, exchanges. */
const DELETE_ORDER: Kind[] = ["bindings", "policies", "queues", "exchanges"];

async function deleteAll(
    api: ManagementApi,
    d: Definitions,
    which: Array<{ kind: Kind; label: string }>,
): Promise<void> {
    for (const kind of DELETE_ORDER) {
        await pool(
            which.filter((w) => w.kind === kind),
            8,
            (w) => deleteObject(api, d, w.kind, w.label),
        );
    }
}

async function importAll(i: BrokerDefinitionsInputs): Promise<BrokerDefinitionsOutputs> {
    await waitForApi(i.api, 60_000);
    const doc = importDocument(i);
    if (doc.queues.length + doc.exchanges.length + doc.bindings.length + doc.policies.length > 0) {
        await request(i.api, "POST", "/api/definitions", doc).catch((e: Error) => {
            throw new Error(
                `importing the topology (${doc.queues.length} queues, ${doc.exchanges.length} exchanges, ${doc.bindings.length} bindings, ${doc.policies.length} policies): ${e.message}`,
            );
        });
    }
    const counts = Object.fromEntries(KINDS.map((k) => [k, Object.keys(i[k]).length])) as Record<Kind, number>;
    return { ...i, counts };
}

export const brokerDefinitionsProvider: pulumi.dynamic.ResourceProvider<
    BrokerDefinitionsInputs,
    BrokerDefinitionsOutputs
> = {
    async create(inputs) {
        return { id: "definitions", outs: await importAll(inputs) };
    },
    async diff(_id, wrappedOlds, news) {
        // The CLI shows the per-object diff itself, from the label-keyed input maps.
        const olds = unwrapSecrets(wrappedOlds);
        const changes = changesBetween(olds, news).length > 0 || olds.generation !== news.generation;
        return { changes, replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        // On a new node the old objects are not there; only what the old node had matters otherwise.
        const gone = deletionsFor(olds, news);
        if (gone.length) {
            await waitForApi(news.api, 60_000);
            await deleteAll(news.api, olds, gone);
        }
        return { outs: await importAll(news) };
    },
    async read(id, props) {
        if (!props) return { id, props };
        // Refresh: objects someone deleted on the broker drop out of the state, so the next up declares them again.
        try {
            const live = await get<{
                queues?: QueueDefinition[];
                exchanges?: ExchangeDefinition[];
                bindings?: BindingDefinition[];
                policies?: PolicyDefinition[];
            }>(props.api, "/api/definitions");
            if (!live) return { id, props };
            const has = (kind: Kind) =>
                new Set(
                    (live[kind] ?? []).map((o) =>
                        kind === "bindings"
                            ? bindingLabel({
                                  ...(o as BindingDefinition),
                                  arguments: (o as BindingDefinition).arguments ?? {},
                              })
                            : objectLabel(o.vhost, (o as { name: string }).name),
                    ),
                );
            const kept = { ...props };
            for (const kind of KINDS) {
                const present = has(kind);
                kept[kind] = Object.fromEntries(
                    Object.entries(props[kind]).filter(([label]) => present.has(label)),
                ) as never;
            }
            return { id, props: kept };
        } catch (e) {
            if (isManagementError(e)) throw e;
            return { id, props }; // broker not reachable: nothing to learn
        }
    },
    async delete(_id, props) {
        const all = KINDS.flatMap((kind) => Object.keys(props[kind]).map((label) => ({ kind, label })));
        try {
            await deleteAll(props.api, props, all);
        } catch (e) {
            // The broker itself is gone (destroy removes the container too): nothing left to delete.
            if (causedBy(e, isUnreachable)) return;
            throw e;
        }
    },
};

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
            { ...opts, additionalSecretOutputs: ["api"] },
        );
    }
}
