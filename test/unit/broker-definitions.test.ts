// The definitions provider's diff: what is a change, what is refused. The refusal cases use a
// management API address where nothing listens: burrow cannot count messages there, and must
// refuse rather than guess.
import { describe, expect, it } from "vitest";
import { BrokerDefinitionsOutputs, brokerDefinitionsProvider } from "../../components/providers/broker-definitions";
import { Definitions, QueueDefinition, definitionsOf } from "../../lib/definitions-plan";

const api = { url: "http://127.0.0.1:1", username: "admin", password: "pw-one-xxxx" };
const queue = (name: string, type = "classic"): QueueDefinition => ({
    vhost: "/",
    name,
    durable: true,
    auto_delete: false,
    arguments: { "x-queue-type": type },
});
const defs = (queues: QueueDefinition[]): Definitions => definitionsOf({ queues });
const state = (d: Definitions, more: Partial<BrokerDefinitionsOutputs> = {}): BrokerDefinitionsOutputs => ({
    api,
    generation: "node-a",
    ...d,
    passwords: {},
    groupSizes: {},
    allowDataLoss: [],
    counts: {
        vhosts: 0,
        users: 0,
        permissions: 0,
        topicPermissions: 0,
        policies: 0,
        queues: 0,
        exchanges: 0,
        bindings: 0,
    },
    ...more,
});
const diff = (olds: BrokerDefinitionsOutputs, news: BrokerDefinitionsOutputs) =>
    brokerDefinitionsProvider.diff!("definitions", olds, news);

describe("brokerDefinitionsProvider.diff", () => {
    it("reports nothing when nothing changed", async () => {
        const s = state(defs([queue("a")]));
        expect(await diff(s, s)).toEqual({ changes: false, replaces: [] });
    });

    it("stores a new admin password or user password (a diff ignoring them would keep stale credentials for later)", async () => {
        const s = state(defs([queue("a")]), { passwords: { app: "one-password" } });
        expect(await diff(s, { ...s, api: { ...api, password: "pw-two-xxxx" } })).toEqual({
            changes: true,
            replaces: [],
        });
        expect(await diff(s, { ...s, passwords: { app: "two-password" } })).toEqual({ changes: true, replaces: [] });
    });

    it("never replaces the resource (a replacement would delete every object)", async () => {
        const d = await diff(state(defs([queue("a")])), state(defs([queue("a"), queue("b")])));
        expect(d).toEqual({ changes: true, replaces: [] });
    });

    it("applies everything again on a new node", async () => {
        const s = state(defs([queue("a")]));
        expect(await diff(s, { ...s, generation: "node-b" })).toEqual({ changes: true, replaces: [] });
    });

    it("ignores consent and group sizes on their own (they say how, not what)", async () => {
        const s = state(defs([queue("a")]));
        expect(await diff(s, { ...s, allowDataLoss: ["*"], groupSizes: { a: 3 } })).toEqual({
            changes: false,
            replaces: [],
        });
    });

    it("refuses to re-declare a queue when it cannot count its messages, naming the consent", async () => {
        const olds = state(defs([queue("tasks")]));
        await expect(diff(olds, state(defs([queue("tasks", "quorum")])))).rejects.toThrow(
            /queue tasks: type classic -> quorum: re-declaring it may drop its messages[\s\S]*config set burrow:allowDataLoss '\["queue tasks"\]'/,
        );
    });

    it("goes ahead with consent", async () => {
        const olds = state(defs([queue("tasks")]));
        const news = state(defs([queue("tasks", "quorum")]), { allowDataLoss: ["queue tasks"] });
        expect(await diff(olds, news)).toEqual({ changes: true, replaces: [] });
    });
});

describe("brokerDefinitionsProvider.delete", () => {
    it("removes nothing on the broker (the data goes with its node, or is kept with it)", async () => {
        await expect(
            brokerDefinitionsProvider.delete!("definitions", state(defs([queue("a")]))),
        ).resolves.toBeUndefined();
    });
});

describe("brokerDefinitionsProvider.read", () => {
    it("fails, changing nothing, when the broker cannot be asked (cannot tell is not gone)", async () => {
        await expect(brokerDefinitionsProvider.read!("definitions", state(defs([queue("a")])))).rejects.toThrow(
            /refresh cannot tell .*could not be reached.*the state was not changed/,
        );
    });
});
