// Quorum queue membership: the plan (what to add, what to remove) for given members, nodes
// and targets, and the provider's decisions that need no broker (what is a change, and that
// a rotated password alone touches nothing).
import { describe, expect, it } from "vitest";
import {
    QuorumMembershipOutputs,
    queuesLostWith,
    quorumMembershipProvider,
} from "../../components/providers/quorum-membership";
import { membershipPlan, targetSize } from "../../lib/quorum";

const n = (...i: number[]) => i.map((k) => `rabbit@rabbit-${k}`);
const q = (name: string, members: string[], vhost = "/") => ({ vhost, name, members });

describe("targetSize", () => {
    it("is the queue's own target, else the replication factor, never more than the nodes nor less than 1", () => {
        const t = { nodes: n(1, 2), targetSizes: { orders: 3, one: 1 }, replicationFactor: 3 };
        expect(targetSize("orders", t)).toBe(2);
        expect(targetSize("one", t)).toBe(1);
        expect(targetSize("clients", t)).toBe(2);
        expect(targetSize("x", { ...t, replicationFactor: 0 })).toBe(1);
    });
});

describe("membershipPlan", () => {
    it("grows every quorum queue onto new nodes when the cluster scales out (1 -> 3)", () => {
        const plan = membershipPlan([q("orders", n(1)), q("client", n(1))], {
            nodes: n(1, 2, 3),
            targetSizes: { orders: 3 },
            replicationFactor: 3,
        });
        expect(plan).toEqual([
            { vhost: "/", name: "client", label: "client", add: n(2, 3), remove: [] },
            { vhost: "/", name: "orders", label: "orders", add: n(2, 3), remove: [] },
        ]);
    });

    it("moves members off a departing node (3 -> 2), adding none when the rest meet the target", () => {
        const plan = membershipPlan([q("orders", n(1, 2, 3))], {
            nodes: n(1, 2),
            targetSizes: { orders: 3 },
            replicationFactor: 3,
        });
        expect(plan).toEqual([{ vhost: "/", name: "orders", label: "orders", add: [], remove: n(3) }]);
    });

    it("adds a replacement before removing the departing member when the target needs it", () => {
        // 5 nodes -> 4: a 3-replica queue on 3, 4, 5 keeps 3 replicas: one new on a staying node.
        const plan = membershipPlan([q("orders", n(3, 4, 5))], {
            nodes: n(1, 2, 3, 4),
            targetSizes: { orders: 3 },
            replicationFactor: 3,
        });
        expect(plan).toEqual([{ vhost: "/", name: "orders", label: "orders", add: n(1), remove: n(5) }]);
    });

    it("never leaves a queue without members: one only on the departing node gets one first", () => {
        const plan = membershipPlan([q("solo", n(3))], { nodes: n(1, 2), targetSizes: {}, replicationFactor: 1 });
        expect(plan).toEqual([{ vhost: "/", name: "solo", label: "solo", add: n(1), remove: n(3) }]);
    });

    it("spreads new members over the least loaded nodes", () => {
        const plan = membershipPlan([q("a", n(1, 2)), q("b", n(1, 2)), q("c", n(1))], {
            nodes: n(1, 2, 3),
            targetSizes: {},
            replicationFactor: 2,
        });
        // c needs one more: node 3 (no replicas) rather than node 2 (two already).
        expect(plan.map((s) => [s.name, s.add])).toEqual([["c", n(3)]]);
    });

    it("shrinks a queue burrow declared to its target, but never a queue declared bigger by a client", () => {
        const plan = membershipPlan([q("orders", n(1, 2, 3)), q("client", n(1, 2, 3))], {
            nodes: n(1, 2, 3),
            targetSizes: { orders: 2 },
            replicationFactor: 2,
        });
        expect(plan).toEqual([{ vhost: "/", name: "orders", label: "orders", add: [], remove: n(3) }]);
    });

    it("has nothing to do when every queue is at its target on the listed nodes", () => {
        const queues = [q("orders", n(2, 1, 3)), q("x", n(1), "shop")];
        expect(
            membershipPlan(queues, {
                nodes: n(1, 2, 3),
                targetSizes: { orders: 3, "shop/x": 1 },
                replicationFactor: 3,
            }),
        ).toEqual([]);
    });

    it("names queues by label, vhost included, and matches targets by it", () => {
        const plan = membershipPlan([q("b/c", n(1), "a")], {
            nodes: n(1, 2),
            targetSizes: { "a/b%2Fc": 2 },
            replicationFactor: 1,
        });
        expect(plan).toEqual([{ vhost: "a", name: "b/c", label: "a/b%2Fc", add: n(2), remove: [] }]);
    });
});

const api = { url: "http://127.0.0.1:1", username: "admin", password: "pw-one" };
const state: QuorumMembershipOutputs = {
    api,
    nodes: n(1, 2, 3),
    replicationFactor: 3,
    targetSizes: { orders: 3 },
    generation: "a,b,c",
    quorumQueues: 2,
    added: 4,
    removed: 0,
};
const inputs = (o: Partial<QuorumMembershipOutputs>) => {
    const { quorumQueues: _q, added: _a, removed: _r, ...i } = { ...state, ...o };
    return i;
};

describe("quorumMembershipProvider", () => {
    it("reports no change when nothing changed (a second up)", async () => {
        expect(await quorumMembershipProvider.diff!("id", state, inputs({}))).toEqual({ changes: false, replaces: [] });
    });

    it("updates in place, never replaces, when nodes, targets or a node change", async () => {
        for (const o of [{ nodes: n(1, 2) }, { targetSizes: { orders: 2 } }, { generation: "a,b,d" }])
            expect(await quorumMembershipProvider.diff!("id", state, inputs(o))).toEqual({
                changes: true,
                replaces: [],
            });
    });

    it("stores a rotated password (a change) without asking the broker anything", async () => {
        const rotated = inputs({ api: { ...api, password: "pw-two" } });
        expect(await quorumMembershipProvider.diff!("id", state, rotated)).toEqual({ changes: true, replaces: [] });
        // The API address is closed: any call would fail or wait out its 60 s timeout.
        const t0 = Date.now();
        const r = await quorumMembershipProvider.update!("id", state, rotated);
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(r.outs).toEqual({ ...state, api: rotated.api });
    });
});

describe("queuesLostWith", () => {
    it("names the durable classic queues that live on a departing node (they go with it)", () => {
        const qs = [
            { vhost: "/", name: "a", type: "classic", node: n(3)[0], durable: true, exclusive: false, messages: 7 },
            { vhost: "shop", name: "b", type: "classic", node: n(1)[0], durable: true, exclusive: false, messages: 1 },
            { vhost: "/", name: "tmp", type: "classic", node: n(3)[0], durable: false, exclusive: true, messages: 0 },
            { vhost: "/", name: "q", type: "quorum", node: n(3)[0], durable: true, exclusive: false, messages: 5 },
        ];
        expect(queuesLostWith(qs, n(3))).toEqual(["a (classic, on rabbit@rabbit-3, 7 messages)"]);
        expect(queuesLostWith(qs, [])).toEqual([]);
    });
});
