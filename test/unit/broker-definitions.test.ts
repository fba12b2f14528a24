// The bulk topology resource: labels, per-object diff, and what an update deletes before
// its one import. Pure functions and the provider's diff; no broker, no mocks.
import { describe, expect, it } from "vitest";
import {
    BindingDefinition,
    BrokerDefinitionsOutputs,
    Definitions,
    QueueDefinition,
    brokerDefinitionsProvider,
    changesBetween,
    definitionsOf,
    deletionsFor,
    importDocument,
} from "../../components/providers/broker-definitions";

const api = { url: "http://127.0.0.1:1", username: "admin", password: "pw-one-xxxx" };
const queue = (name: string, vhost = "/", type = "classic"): QueueDefinition => ({
    vhost,
    name,
    durable: true,
    auto_delete: false,
    arguments: { "x-queue-type": type },
});
const binding = (destination: string, routing_key = destination, vhost = "/"): BindingDefinition => ({
    vhost,
    source: "amq.direct",
    destination,
    destination_type: "queue",
    routing_key,
    arguments: {},
});
const defs = (queues: QueueDefinition[], bindings: BindingDefinition[] = []): Definitions =>
    definitionsOf({ queues, exchanges: [], bindings, policies: [] });
const state = (d: Definitions, generation = "node-a"): BrokerDefinitionsOutputs => ({
    api,
    generation,
    ...d,
    counts: { queues: 0, exchanges: 0, bindings: 0, policies: 0 },
});

describe("definitionsOf", () => {
    it("labels objects by name, with the vhost when it is not /", () => {
        const d = defs(
            [queue("tasks"), queue("orders", "shop")],
            [binding("tasks", "t.#"), binding("orders", "", "shop")],
        );
        expect(Object.keys(d.queues)).toEqual(["tasks", "shop/orders"]);
        expect(Object.keys(d.bindings)).toEqual([
            "amq.direct -> queue:tasks (t.#)",
            "shop/amq.direct -> queue:orders ()",
        ]);
    });

    it("tells bindings apart by their arguments", () => {
        const d = defs([], [binding("q"), { ...binding("q"), arguments: { "x-match": "any" } }]);
        expect(Object.keys(d.bindings)).toEqual([
            "amq.direct -> queue:q (q)",
            'amq.direct -> queue:q (q) {"x-match":"any"}',
        ]);
    });

    it("refuses two objects with one label, naming it", () => {
        expect(() => defs([queue("a"), queue("a")])).toThrow('two queues are both "a"');
    });

    it("builds RabbitMQ's import document", () => {
        expect(importDocument(defs([queue("a")], [binding("a")]))).toEqual({
            queues: [queue("a")],
            exchanges: [],
            bindings: [binding("a")],
            policies: [],
        });
    });

    it("keeps each definition as JSON text (cheap to pass through Pulumi's protobuf, shown as JSON in diffs)", () => {
        expect(defs([queue("a")]).queues).toEqual({ a: JSON.stringify(queue("a")) });
    });
});

describe("changesBetween / deletionsFor", () => {
    const before = defs([queue("a"), queue("b"), queue("c")], [binding("a"), binding("b")]);
    const after = defs([queue("a"), queue("b", "/", "quorum"), queue("d")], [binding("a"), binding("b"), binding("d")]);

    it("names each object added, changed and removed", () => {
        expect(changesBetween(before, after)).toEqual([
            { kind: "queues", label: "b", change: "update" },
            { kind: "queues", label: "d", change: "add" },
            { kind: "queues", label: "c", change: "delete" },
            { kind: "bindings", label: "amq.direct -> queue:d (d)", change: "add" },
        ]);
    });

    it("deletes removed objects and queues that changed type (they cannot change in place), not added ones", () => {
        expect(deletionsFor(before, after)).toEqual([
            { kind: "queues", label: "b", change: "update" },
            { kind: "queues", label: "c", change: "delete" },
        ]);
    });

    it("reads a state whose definitions are objects with sorted keys (written by an earlier burrow) as unchanged", () => {
        const sortedKeys = (t: string) =>
            Object.fromEntries(Object.entries(JSON.parse(t)).sort(([a], [b]) => a.localeCompare(b)));
        const old = {
            ...before,
            queues: Object.fromEntries(Object.entries(before.queues).map(([k, v]) => [k, sortedKeys(v)])),
        } as unknown as Definitions;
        expect(changesBetween(old, before)).toEqual([]);
        expect(importDocument(old).queues).toEqual(
            importDocument(before).queues.map((q) => expect.objectContaining(q)),
        );
    });

    it("overwrites a changed policy with the import instead of deleting it", () => {
        const p = (pattern: string) =>
            definitionsOf({
                queues: [],
                exchanges: [],
                bindings: [],
                policies: [{ vhost: "/", name: "p", pattern, "apply-to": "queues", definition: {}, priority: 0 }],
            });
        expect(deletionsFor(p("^a"), p("^b"))).toEqual([]);
        expect(changesBetween(p("^a"), p("^b"))).toEqual([{ kind: "policies", label: "p", change: "update" }]);
    });
});

describe("brokerDefinitionsProvider.diff", () => {
    it("reports nothing when nothing changed, even with a new admin password", async () => {
        const s = state(defs([queue("a")]));
        expect(
            await brokerDefinitionsProvider.diff!("id", s, { ...s, api: { ...api, password: "pw-two-xxxx" } }),
        ).toEqual({ changes: false, replaces: [] });
    });

    it("updates, never replaces, the resource when objects change (a replacement would drop every queue)", async () => {
        const d = await brokerDefinitionsProvider.diff!(
            "id",
            state(defs([queue("a"), queue("c")])),
            state(defs([queue("a", "/", "quorum"), queue("b", "shop")])),
        );
        expect(d).toEqual({ changes: true, replaces: [] });
    });

    it("applies everything again on a new node", async () => {
        const s = state(defs([queue("a")]));
        expect(await brokerDefinitionsProvider.diff!("id", s, { ...s, generation: "node-b" })).toEqual({
            changes: true,
            replaces: [],
        });
    });
});
