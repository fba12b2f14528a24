// Dynamic provider: every quorum queue on the broker has its replicas on the cluster's
// nodes, as many as its target (lib/quorum.ts). Scaling out adds members on the new nodes;
// scaling in moves them off the departing nodes while those still run (Pulumi deletes a
// removed node at the end of the up, after this update). Through the management API's
// replica endpoints (POST .../replicas/add, DELETE .../replicas/delete, RabbitMQ 3.11+;
// checked on 4.0.5), which are `rabbitmq-queues add_member` / `delete_member` without a CLI
// VM per call.
//
// RabbitMQ 3.13+ also has "continuous membership reconciliation" (rabbitmq.conf
// quorum_queue.continuous_membership_reconciliation.*). burrow does not turn it on: it
// works in the background (one member per queue per tick), so an up would end before the
// queues have their replicas and nothing would report a failure; it grows towards one
// cluster-wide target, not per queue; it removes members only after the node was forgotten
// (after the up); and changing rabbitmq.conf would restart every existing broker.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { ManagementApi, get, request, seg, waitForApi } from "../../lib/management-client";
import { causedBy, isManagementApiError } from "../../lib/errors";
import { objectLabel } from "../../lib/labels";
import { MembershipStep, QuorumQueueMembers, describePlan, membershipPlan } from "../../lib/quorum";
import { unwrapSecrets } from "../../lib/secrets";

export interface QuorumMembershipInputs {
    /** Where and as whom (node 1's management API); not part of the membership. */
    api: ManagementApi;
    /** The cluster's node names after this up, node 1 first. */
    nodes: string[];
    /** Replicas of a quorum queue burrow did not declare. */
    replicationFactor: number;
    /** Replicas of each quorum queue burrow declared, by object label. */
    targetSizes: Record<string, number>;
    /** Every node's identity: a node replaced means the membership is checked again. */
    generation: string;
}

export interface QuorumMembershipOutputs extends QuorumMembershipInputs {
    /** What the last reconciliation found and did (for people reading the state). */
    quorumQueues: number;
    added: number;
    removed: number;
}

const quorumPath = (q: { vhost: string; name: string }) => `/api/queues/quorum/${seg(q.vhost)}/${seg(q.name)}`;

interface ListedQueue {
    vhost: string;
    name: string;
    type?: string;
    members?: string[];
    node?: string;
    durable?: boolean;
    exclusive?: boolean | null;
    messages?: number;
}

async function listQueues(api: ManagementApi): Promise<ListedQueue[]> {
    return (
        (await get<ListedQueue[]>(
            api,
            "/api/queues?disable_stats=true&enable_queue_totals=true&columns=vhost,name,type,members,node,durable,exclusive,messages",
        )) ?? []
    );
}

/** Every quorum queue on the broker with the nodes of its members. */
export async function quorumQueues(api: ManagementApi): Promise<QuorumQueueMembers[]> {
    return (await listQueues(api))
        .filter((q) => q.type === "quorum")
        .map((q) => ({ vhost: q.vhost, name: q.name, members: q.members ?? [] }));
}

/**
 * A durable classic queue lives on one node only: removing that node from the cluster
 * deletes the queue with its messages. Such a scale-in is refused, naming the queues.
 */
export function queuesLostWith(
    queues: Array<Pick<ListedQueue, "vhost" | "name" | "type" | "node" | "durable" | "exclusive" | "messages">>,
    departing: string[],
): string[] {
    return queues
        .filter((q) => q.type === "classic" && q.durable && !q.exclusive && departing.includes(q.node ?? ""))
        .map((q) => `${objectLabel(q.vhost, q.name)} (classic, on ${q.node}, ${q.messages ?? 0} messages)`);
}

/** Runs fn over items, at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** A new member joins as a non-voter and is promoted once it has caught up: wait for that before removing others. */
async function waitVoters(api: ManagementApi, s: MembershipStep, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const status =
            (await get<Array<{ "Node Name"?: string; Membership?: string }>>(api, `${quorumPath(s)}/status`)) ?? [];
        const pending = s.add.filter(
            (n) => !status.some((m) => m["Node Name"] === n && (m.Membership ?? "voter") === "voter"),
        );
        if (status.length === 0 || pending.length === 0) return;
        if (Date.now() > deadline)
            throw new Error(
                `quorum queue ${s.label}: the new replicas on ${pending.join(", ")} did not become voters within ${timeoutMs / 1000} s; its other replicas were left in place`,
            );
        await new Promise((r) => setTimeout(r, 500));
    }
}

/**
 * Ra makes one membership change at a time: while the last one (a new member's promotion to
 * voter, a leader election) is in flight it answers cluster_change_not_permitted. Retried.
 */
async function whenPermitted<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await fn();
        } catch (e) {
            const busy = causedBy(
                e,
                (x) =>
                    isManagementApiError(x) &&
                    x.status === 503 &&
                    /cluster_change_not_permitted|timeout/.test(x.reason),
            );
            if (!busy || Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 500));
        }
    }
}

async function replicaCall(api: ManagementApi, s: MembershipStep, node: string, what: "add" | "delete") {
    const r = await request(
        api,
        what === "add" ? "POST" : "DELETE",
        `${quorumPath(s)}/replicas/${what}`,
        { node },
        [404],
    ).catch((e: Error) => {
        throw new Error(
            `quorum queue ${s.label}: ${what === "add" ? "adding a replica on" : "removing its replica from"} ${node}: ${e.message}`,
            { cause: e },
        );
    });
    return r.status !== 404; // 404: the queue was deleted meanwhile; nothing to do
}

/**
 * Reads every quorum queue's members, adds the missing ones, then removes those on departing
 * nodes. `departing`: the nodes this change removes (refused while a classic queue lives there).
 */
export async function reconcile(i: QuorumMembershipInputs, departing: string[] = []): Promise<QuorumMembershipOutputs> {
    await waitForApi(i.api, 60_000);
    if (departing.length) {
        const lost = queuesLostWith(await listQueues(i.api), departing);
        if (lost.length)
            throw new Error(
                `removing ${departing.join(", ")} from the cluster (burrow:cluster) would delete ${lost.length === 1 ? "this queue" : "these queues"} with ${lost.length === 1 ? "its" : "their"} messages, which live on ${departing.length === 1 ? "that node" : "those nodes"} only:\n  ${lost.join("\n  ")}\nConsume and delete ${lost.length === 1 ? "it" : "them"} (or re-declare as quorum queues) first; the node was not removed.`,
            );
    }
    const queues = await quorumQueues(i.api);
    const steps = membershipPlan(queues, i);
    let added = 0,
        removed = 0;
    // Grow first, everywhere: no queue loses a member before every queue has its new ones,
    // each a voter (caught up) before the next is added.
    await pool(steps, 4, async (s) => {
        for (const n of s.add) {
            if (!(await whenPermitted(() => replicaCall(i.api, s, n, "add")))) break;
            added++;
            await waitVoters(i.api, { ...s, add: [n] }, 120_000);
        }
    });
    await pool(
        steps.filter((s) => s.remove.length > 0),
        4,
        async (s) => {
            for (const n of s.remove) if (await whenPermitted(() => replicaCall(i.api, s, n, "delete"))) removed++;
        },
    );
    // The broker's word on it: a step it accepted but did not carry out fails the up.
    if (steps.length) {
        const left = membershipPlan(await quorumQueues(i.api), i);
        if (left.length)
            throw new Error(
                `quorum queue membership did not reach its target (burrow:cluster); still to do:\n  ${describePlan(left).join("\n  ")}`,
            );
    }
    return { ...i, quorumQueues: queues.length, added, removed };
}

export const quorumMembershipProvider: pulumi.dynamic.ResourceProvider<
    QuorumMembershipInputs,
    QuorumMembershipOutputs
> = userFacingProvider({
    async create(inputs) {
        return { id: "quorum-membership", outs: await reconcile(inputs) };
    },
    async diff(_id, wrappedOlds, news) {
        // `api` is compared too: a new password must reach the state, or later calls use the old one.
        const changes = changedInputs(unwrapSecrets(wrappedOlds), news).length > 0;
        return { changes, replaces: [] };
    },
    async update(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        // Only where and as whom changed (a password rotated): store it, touch nothing.
        if (changedInputs(olds, news, ["api"]).length === 0)
            return {
                outs: { ...news, quorumQueues: olds.quorumQueues, added: olds.added, removed: olds.removed },
            };
        return {
            outs: await reconcile(
                news,
                olds.nodes.filter((n) => !news.nodes.includes(n)),
            ),
        };
    },
    async read(id, props) {
        return { id, props };
    },
    async delete() {
        // The replicas belong to the queues: nothing to undo.
    },
});

/** Every quorum queue's replicas on the cluster's nodes, as many as its target. */
export class QuorumMembership extends DynamicResource {
    declare readonly quorumQueues: pulumi.Output<number>;
    declare readonly added: pulumi.Output<number>;
    declare readonly removed: pulumi.Output<number>;
    constructor(
        name: string,
        args: { [K in keyof QuorumMembershipInputs]: pulumi.Input<QuorumMembershipInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { quorumMembershipProvider }),
            "QuorumMembership",
            name,
            { ...args, quorumQueues: undefined, added: undefined, removed: undefined },
            { ...opts, additionalSecretOutputs: ["api"] },
        );
    }
}
