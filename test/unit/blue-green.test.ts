// The pure parts of a blue-green upgrade: what the new broker boots with of the old one's
// definitions, and the shovel that moves a queue. The export below is what RabbitMQ 3.10.8's
// `rabbitmqctl export_definitions -` printed here (with a user, a policy and queues added).
import { describe, expect, it } from "vitest";
import { definitionsForGreen, moveShovel } from "../../lib/blue-green";

const exported = {
    rabbit_version: "3.10.8",
    rabbitmq_version: "3.10.8",
    users: [
        {
            name: "app",
            password_hash: "qz1TZ7l4Wi0oWAEzooUUMg1FoL8sk7fMmYzf/+OiqHfxTHvQ",
            hashing_algorithm: "rabbit_password_hashing_sha256",
            tags: [],
            limits: {},
        },
    ],
    vhosts: [{ name: "/", limits: [], metadata: { description: "Default virtual host", tags: [] } }],
    permissions: [{ user: "app", vhost: "/", configure: ".*", write: ".*", read: ".*" }],
    topic_permissions: [],
    parameters: [
        { component: "shovel", name: "burrow-move-orders", vhost: "/", value: {} },
        { component: "federation-upstream", name: "up", vhost: "/", value: { uri: "amqp://x" } },
    ],
    global_parameters: [{ name: "cluster_name", value: "rabbit@burrow" }],
    policies: [
        {
            vhost: "/",
            name: "ha-all",
            pattern: ".*",
            "apply-to": "queues",
            priority: 0,
            definition: { "ha-mode": "all" },
        },
        {
            vhost: "/",
            name: "ttl",
            pattern: "^t\\.",
            "apply-to": "queues",
            priority: 1,
            definition: { "message-ttl": 60000, "ha-mode": "exactly", "ha-params": 2 },
        },
    ],
    queues: [
        { name: "orders", vhost: "/", durable: true, auto_delete: false, arguments: { "x-queue-type": "quorum" } },
    ],
    exchanges: [],
    bindings: [],
};

describe("definitionsForGreen", () => {
    it("carries users with their password hashes, vhosts, permissions, policies, queues; not the old cluster's globals", () => {
        const { document, dropped } = definitionsForGreen(exported, "4.0.5");
        expect(document.users).toEqual(exported.users);
        expect(document.vhosts).toEqual(exported.vhosts);
        expect(document.permissions).toEqual(exported.permissions);
        expect(document.queues).toEqual(exported.queues);
        expect(document).not.toHaveProperty("global_parameters");
        expect(document).not.toHaveProperty("rabbit_version");
        // Its own move's shovels are not carried; a user's federation upstream is.
        expect(document.parameters).toEqual([exported.parameters[1]]);
        expect(dropped).toContain("global parameters (the old cluster's name and internal id)");
    });

    it("drops classic queue mirroring on RabbitMQ 4 (an import with ha-* fails there), saying so", () => {
        const { document, dropped } = definitionsForGreen(exported, "4.0.5");
        expect(document.policies).toEqual([{ ...exported.policies[1], definition: { "message-ttl": 60000 } }]);
        expect(dropped.join("\n")).toMatch(/policy ha-all in vhost \/: only classic queue mirroring \(ha-mode\)/);
        expect(dropped.join("\n")).toMatch(/policy ttl in vhost \/: its ha-mode, ha-params/);
        // 3.x keeps them.
        expect(definitionsForGreen(exported, "3.13.7").document.policies).toEqual(exported.policies);
    });
});

describe("moveShovel", () => {
    const src = { host: "burrow-blue", port: 5672, username: "admin", password: "p@ss/word" };
    it("moves what a queue holds, acked on the old broker only once the new one confirmed it", () => {
        const s = moveShovel({ vhost: "/", name: "orders", type: "quorum", messages: 10 }, src);
        expect(s).toEqual({
            vhost: "/",
            name: "burrow-move-orders",
            value: expect.objectContaining({
                "src-uri": "amqp://admin:p%40ss%2Fword@burrow-blue:5672/%2F",
                "src-queue": "orders",
                "src-delete-after": "queue-length",
                "dest-uri": "amqp:///%2F",
                "dest-queue": "orders",
                "ack-mode": "on-confirm",
            }),
        });
    });

    it("reads a stream from its first offset, as many messages as it holds", () => {
        const s = moveShovel({ vhost: "shop", name: "events", type: "stream", messages: 1234 }, src);
        expect(s.value).toMatchObject({
            "src-uri": "amqp://admin:p%40ss%2Fword@burrow-blue:5672/shop",
            "src-delete-after": 1234,
            "src-consumer-args": { "x-stream-offset": "first" },
            "dest-uri": "amqp:///shop",
        });
    });
});
