import { execFileSync } from "child_process";
// What an update of the broker's definitions does, and which changes lose data: the pure
// decisions of lib/definitions-plan.ts, no broker, no mocks.
import { describe, expect, it } from "vitest";
import {
    BindingDefinition,
    Definitions,
    QueueDefinition,
    consented,
    definitionsOf,
    importDocument,
    lossesOf,
    notices,
    planChanges,
    refusal,
} from "../../lib/definitions-plan";
import { rabbitPasswordHash } from "../../lib/boot-definitions";

const queue = (name: string, vhost = "/", type = "classic", more: Record<string, unknown> = {}): QueueDefinition => ({
    vhost,
    name,
    durable: true,
    auto_delete: false,
    arguments: { "x-queue-type": type, ...more },
});
const binding = (destination: string, routing_key = destination, vhost = "/"): BindingDefinition => ({
    vhost,
    source: "amq.direct",
    destination,
    destination_type: "queue",
    routing_key,
    arguments: {},
});
const defs = (queues: QueueDefinition[], bindings: BindingDefinition[] = [], more: object = {}): Definitions =>
    definitionsOf({ queues, bindings, ...more });
const live = (messages: Record<string, number>, types: Record<string, string> = {}) => ({ messages, types });

describe("definitionsOf", () => {
    it("labels every kind, with the vhost when it is not /", () => {
        const d = defs(
            [queue("tasks"), queue("orders", "shop")],
            [binding("tasks", "t.#"), binding("orders", "", "shop")],
            {
                vhosts: [{ name: "shop" }],
                users: [{ name: "app", tags: [] }],
                permissions: [{ user: "app", vhost: "shop", configure: "", write: ".*", read: ".*" }],
                topicPermissions: [{ user: "app", vhost: "shop", exchange: "events", write: ".*", read: ".*" }],
            },
        );
        expect(Object.keys(d.queues)).toEqual(["tasks", "shop/orders"]);
        expect(Object.keys(d.bindings)).toEqual([
            "amq.direct -> queue:tasks (t.#)",
            "shop/amq.direct -> queue:orders ()",
        ]);
        expect(Object.keys(d.vhosts)).toEqual(["shop"]);
        expect(Object.keys(d.users)).toEqual(["app"]);
        expect(Object.keys(d.permissions)).toEqual(["shop/app"]);
        expect(Object.keys(d.topicPermissions)).toEqual(["shop/app -> events"]);
    });

    it("refuses two objects with one label, naming it", () => {
        expect(() => defs([queue("a"), queue("a")])).toThrow('two queues are both "a"');
    });

    it("leaves a quorum queue's initial group size out of its identity", () => {
        const d = defs([queue("q", "/", "quorum", { "x-quorum-initial-group-size": 3, "x-delivery-limit": 5 })]);
        expect(JSON.parse(d.queues.q).arguments).toEqual({ "x-queue-type": "quorum", "x-delivery-limit": 5 });
    });
});

describe("planChanges", () => {
    const before = defs([queue("a"), queue("b"), queue("c")], [binding("a"), binding("b")]);
    const after = defs([queue("a"), queue("b", "/", "quorum"), queue("d")], [binding("a"), binding("b"), binding("d")]);

    it("names each object added, declared again and removed", () => {
        expect(planChanges(before, after)).toEqual([
            { kind: "queues", label: "b", action: "redeclare", detail: "type classic -> quorum" },
            { kind: "queues", label: "d", action: "add" },
            { kind: "queues", label: "c", action: "delete" },
            { kind: "bindings", label: "amq.direct -> queue:d (d)", action: "add" },
        ]);
    });

    it("updates users, permissions and policies in place (the import overwrites them)", () => {
        const p = (pattern: string, tags: string[]) =>
            definitionsOf({
                users: [{ name: "u", tags }],
                policies: [{ vhost: "/", name: "p", pattern, "apply-to": "queues", definition: { a: 1 }, priority: 0 }],
            });
        expect(planChanges(p("^a", []), p("^b", ["monitoring"]))).toEqual([
            { kind: "users", label: "u", action: "update" },
            { kind: "policies", label: "p", action: "update" },
        ]);
    });

    it("does not declare a quorum queue again when only its group size changes (scaling a cluster)", () => {
        const rf = (n: number) => defs([queue("q", "/", "quorum", { "x-quorum-initial-group-size": n })]);
        expect(planChanges(rf(1), rf(3))).toEqual([]);
    });

    it("describes what changed in a queue's arguments", () => {
        const a = defs([queue("q", "/", "classic", { "x-message-ttl": 60000, "x-max-length": 5 })]);
        const b = defs([queue("q", "/", "classic", { "x-message-ttl": 30000, "x-overflow": "reject-publish" })]);
        expect(planChanges(a, b)[0].detail).toBe(
            'x-max-length removed (was 5), x-message-ttl 60000 -> 30000, x-overflow added ("reject-publish")',
        );
    });

    it("treats maps missing from an older state (before users and vhosts joined) as empty", () => {
        const old = { queues: before.queues, bindings: before.bindings } as Partial<Definitions>;
        const news = defs([queue("a"), queue("b"), queue("c")], [binding("a"), binding("b")], {
            vhosts: [{ name: "v" }],
        });
        expect(planChanges(old, news)).toEqual([{ kind: "vhosts", label: "v", action: "add" }]);
    });

    it("reads a state whose definitions are objects with sorted keys (written by an earlier burrow) as unchanged", () => {
        const sortedKeys = (t: string) =>
            Object.fromEntries(Object.entries(JSON.parse(t)).sort(([a], [b]) => a.localeCompare(b)));
        const old = {
            ...before,
            queues: Object.fromEntries(Object.entries(before.queues).map(([k, v]) => [k, sortedKeys(v)])),
        } as unknown as Definitions;
        expect(planChanges(old, before)).toEqual([]);
    });
});

describe("lossesOf: what loses data", () => {
    const before = defs([queue("full"), queue("empty"), queue("log", "/", "stream"), queue("o", "shop")], [], {
        vhosts: [{ name: "shop" }],
    });

    it("a queue re-declared or removed while it holds messages, with the count and the consent key", () => {
        const after = defs([queue("full", "/", "quorum"), queue("log", "/", "stream"), queue("o", "shop")], [], {
            vhosts: [{ name: "shop" }],
        });
        const losses = lossesOf(
            planChanges(before, after),
            before,
            live({ full: 1204, empty: 0, log: 3, "shop/o": 0 }),
        );
        expect(losses).toEqual([
            {
                consent: "queue full",
                message: "queue full: type classic -> quorum: re-declaring it drops its 1,204 messages",
            },
        ]);
    });

    it("never an empty classic queue (the if-empty guard protects it), always a stream (its log is the data)", () => {
        const after = defs([queue("full"), queue("o", "shop")], [], { vhosts: [{ name: "shop" }] });
        const losses = lossesOf(
            planChanges(before, after),
            before,
            live({ full: 5, empty: 0, log: 0 }, { log: "stream" }),
        );
        expect(losses.map((l) => l.consent)).toEqual(["queue log"]);
        expect(losses[0].message).toBe(
            "queue log: removed from the config: deleting it drops the stream's log of 0 messages",
        );
    });

    it("a vhost removed with messages in its queues", () => {
        const after = defs([queue("full"), queue("empty"), queue("log", "/", "stream")]);
        const losses = lossesOf(planChanges(before, after), before, live({ "shop/o": 7, full: 1 }));
        expect(losses.map((l) => l.message)).toEqual([
            "vhost shop: removed from the config: deleting it deletes its 1 queue with 7 messages",
            "queue shop/o: removed from the config: deleting it drops its 7 messages",
        ]);
    });

    it("anything burrow cannot count, saying why", () => {
        const after = defs([queue("full"), queue("log", "/", "stream"), queue("o", "shop")], [], {
            vhosts: [{ name: "shop" }],
        });
        const losses = lossesOf(planChanges(before, after), before, {
            messages: {},
            types: {},
            unreadable: "ECONNREFUSED",
        });
        expect(losses).toEqual([
            {
                consent: "queue empty",
                message:
                    "queue empty: removed from the config: deleting it may drop its messages (burrow could not read how many messages it holds: ECONNREFUSED)",
            },
        ]);
    });

    it("consent is the exact key, or *", () => {
        const loss = { consent: "queue full", message: "" };
        expect(consented(loss, ["queue full"])).toBe(true);
        expect(consented(loss, ["queue ful"])).toBe(false);
        expect(consented(loss, ["*"])).toBe(true);
        expect(consented(loss, [])).toBe(false);
    });

    it("the refusal names each loss and the exact consent to give", () => {
        const text = refusal([
            {
                consent: "queue full",
                message: "queue full: type classic -> quorum: re-declaring it drops its 3 messages",
            },
        ]);
        expect(text).toContain("burrow refuses a change that loses data; nothing was changed:");
        expect(text).toContain("  - queue full: type classic -> quorum: re-declaring it drops its 3 messages");
        expect(text).toContain(`npm run pulumi -- config set burrow:allowDataLoss '["queue full"]'`);
    });

    it("the consent command runs as printed whatever the name holds, and keeps the consents already given", () => {
        const name = `queue bob's "q" 100%25`;
        const text = refusal([{ consent: name, message: "m" }], ["queue plain"]);
        const line = text.split("\n").find((l) => l.includes("config set burrow:allowDataLoss"))!;
        // What the shell hands to the command as its last word: the JSON list, exact.
        const words = execFileSync(
            "bash",
            ["-c", `set -- ${line.replace(/^.*config set burrow:allowDataLoss /, "")}; printf %s "$1"`],
            {
                encoding: "utf8",
            },
        );
        expect(JSON.parse(words)).toEqual(["queue plain", name]);
    });

    it("says when an exchange is declared again (its bindings are created again)", () => {
        const x = (type: string) =>
            definitionsOf({
                exchanges: [
                    { vhost: "/", name: "e", type, durable: true, auto_delete: false, internal: false, arguments: {} },
                ],
            });
        expect(notices(planChanges(x("direct"), x("topic")))).toEqual([
            "exchange e: type direct -> topic: re-declaring it; its bindings are created again",
        ]);
    });
});

describe("importDocument", () => {
    it("imports users with RabbitMQ's salted hash of their password, never the password", () => {
        const doc = importDocument(definitionsOf({ users: [{ name: "app", tags: ["monitoring"] }] }), {
            passwords: { app: "s3cret-pass" },
        });
        expect(doc.users).toHaveLength(1);
        const u = doc.users[0];
        expect(JSON.stringify(doc)).not.toContain("s3cret-pass");
        const salt = Buffer.from(u.password_hash, "base64").subarray(0, 4);
        expect(u).toEqual({
            name: "app",
            password_hash: rabbitPasswordHash("s3cret-pass", salt),
            hashing_algorithm: "rabbit_password_hashing_sha256",
            tags: ["monitoring"],
        });
    });

    it("starts quorum queues with their group size, which is not part of their identity", () => {
        const d = defs([queue("q", "/", "quorum"), queue("c")]);
        expect(importDocument(d, {}, { groupSizes: { q: 3, c: 3 } }).queues).toEqual([
            queue("q", "/", "quorum", { "x-quorum-initial-group-size": 3 }),
            queue("c"),
        ]);
    });
});
