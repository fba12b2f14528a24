// Quorum queue membership that follows the cluster: which replicas to add and which to
// remove so that every quorum queue has its target number of members, all on the nodes the
// cluster keeps. Pure: the provider (components/providers/quorum-membership.ts) reads the
// members from the broker and carries the plan out.
import { objectLabel } from "./labels";

/** A quorum queue as the broker lists it: where its members (replicas) are. */
export interface QuorumQueueMembers {
    vhost: string;
    name: string;
    members: string[];
}

/** What to do to one queue: nodes to add a member on, then nodes to remove its member from. */
export interface MembershipStep {
    vhost: string;
    name: string;
    /** lib/labels objectLabel: how the queue is named in burrow's config, state and messages. */
    label: string;
    add: string[];
    remove: string[];
}

export interface MembershipTargets {
    /** The cluster's nodes after this change, in order (node 1 first). */
    nodes: string[];
    /** Replica count of quorum queues burrow declared, by label (settings quorumTargetSizes). */
    targetSizes: Record<string, number>;
    /** Replica count of every other quorum queue (the cluster's replication factor). */
    replicationFactor: number;
}

/** The replica count a queue is kept at: its target, never more than the nodes there are, never 0. */
export function targetSize(label: string, t: MembershipTargets): number {
    const wanted = t.targetSizes[label] ?? t.replicationFactor;
    return Math.max(1, Math.min(wanted, t.nodes.length));
}

/**
 * The steps that bring every queue to its target on `nodes`:
 * - a queue with fewer members on the listed nodes than its target gets new members on the
 *   listed nodes that hold the fewest replicas (spreading the load, node order on a tie);
 * - a member on a node that is not listed (the node leaves the cluster) is removed;
 * - a queue burrow declared that has more members on the listed nodes than its target
 *   loses the extra ones (its replica count is burrow's to set); any other queue keeps
 *   them: whoever declared it bigger may have meant it, and RabbitMQ itself never shrinks
 *   a queue on its own either.
 * Additions come before removals (the provider runs every add first), so a queue never has
 * fewer members than its majority needs while it moves.
 * Queues with nothing to do are left out.
 */
export function membershipPlan(queues: QuorumQueueMembers[], t: MembershipTargets): MembershipStep[] {
    if (t.nodes.length === 0) return [];
    const listed = new Set(t.nodes);
    // Replicas per listed node as the plan goes on, so new members go where there are fewest.
    const load = new Map(t.nodes.map((n) => [n, 0]));
    for (const q of queues) for (const m of q.members) if (load.has(m)) load.set(m, load.get(m)! + 1);
    const order = new Map(t.nodes.map((n, i) => [n, i]));
    const byLoad = (a: string, b: string) => load.get(a)! - load.get(b)! || order.get(a)! - order.get(b)!;

    const sorted = [...queues].sort((a, b) => objectLabel(a.vhost, a.name).localeCompare(objectLabel(b.vhost, b.name)));
    const steps: MembershipStep[] = [];
    for (const q of sorted) {
        const label = objectLabel(q.vhost, q.name);
        const members = [...new Set(q.members)];
        const target = targetSize(label, t);
        const kept = members.filter((m) => listed.has(m));
        const add: string[] = [];
        const remove = members.filter((m) => !listed.has(m));
        if (kept.length < target) {
            const candidates = t.nodes.filter((n) => !members.includes(n)).sort(byLoad);
            for (const n of candidates.slice(0, target - kept.length)) {
                add.push(n);
                load.set(n, load.get(n)! + 1);
            }
        } else if (kept.length > target && label in t.targetSizes) {
            // The most loaded nodes give theirs up; the later node on a tie.
            const extra = [...kept].sort((a, b) => byLoad(b, a)).slice(0, kept.length - target);
            for (const n of extra) {
                remove.push(n);
                load.set(n, load.get(n)! - 1);
            }
        }
        if (add.length || remove.length) steps.push({ vhost: q.vhost, name: q.name, label, add, remove });
    }
    return steps;
}

/** One line per step for messages and logs: `orders: +rabbit@rabbit-3 -rabbit@rabbit-4`. */
export function describePlan(steps: MembershipStep[]): string[] {
    return steps.map((s) => `${s.label}: ${[...s.add.map((n) => `+${n}`), ...s.remove.map((n) => `-${n}`)].join(" ")}`);
}
