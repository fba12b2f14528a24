// Issue 15's objects without a broker: their settings (every rule names its key), how each
// becomes RabbitMQ's definitions (labels, masked URIs, parameters), what loses data, and how
// drift is judged from a definitions export. Pure functions, no mocks.
import { describe, expect, it } from "vitest";
import { shovelValue, upstreamValue, vhostDefinition } from "../../components/broker-topology";
import { RawConfig, SettingsError, parseSettings, superStreamParts } from "../../components/settings";
import { rabbitPasswordHash } from "../../lib/boot-definitions";
import {
    ParameterDefinition,
    definitionsOf,
    foundOnBroker,
    importDocument,
    lossesOf,
    needsLiveCounts,
    planChanges,
    secretUriKey,
} from "../../lib/definitions-plan";

function problems(raw: RawConfig): string {
    try {
        parseSettings(raw);
    } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as SettingsError).problems.join("\n");
    }
    throw new Error("expected the settings to be rejected");
}

const HASH256 = rabbitPasswordHash("some-password", Buffer.from([1, 2, 3, 4]));

describe("vhosts as objects", () => {
    it("keeps the plain-string form and adds metadata and limits", () => {
        const s = parseSettings({
            vhosts: [
                "plain",
                {
                    name: "shop",
                    description: "the shop",
                    tags: ["prod"],
                    defaultQueueType: "quorum",
                    limits: { "max-connections": "10", "max-queues": 20 },
                },
            ],
            queues: [{ name: "q", vhost: "shop" }],
        });
        expect(s.vhosts).toEqual(["plain", "shop"]);
        expect(s.vhostObjects).toEqual([
            { name: "plain", limits: {} },
            {
                name: "shop",
                description: "the shop",
                tags: ["prod"],
                defaultQueueType: "quorum",
                limits: { "max-connections": 10, "max-queues": 20 },
            },
        ]);
        // A plain vhost is written exactly as before vhosts had details: no change for old stacks.
        expect(vhostDefinition(s.vhostObjects[0])).toEqual({ name: "plain" });
    });

    it.each([
        [
            { vhosts: [{ name: "v", limits: { "max-channels": 1 } }] },
            "`burrow:vhosts[0].limits.max-channels` is not a limit",
        ],
        [{ vhosts: [{ name: "v", limits: { "max-queues": -1 } }] }, "`burrow:vhosts[0].limits.max-queues`"],
        [{ vhosts: [{ name: "v", defaultQueueType: "lazy" }] }, "`burrow:vhosts[0].defaultQueueType`"],
        [{ vhosts: [{ name: "v", tags: ["a,b"] }] }, "`burrow:vhosts[0].tags[0]`"],
        [{ vhosts: [{ name: "v", colour: "red" }] }, "`burrow:vhosts[0].colour` is not a field here"],
        [{ vhosts: ["v", { name: "v" }] }, "`burrow:vhosts` declares v twice"],
    ])("refuses %j", (raw, expected) => {
        expect(problems(raw as RawConfig)).toContain(expected);
    });
});

describe("users: limits and a given password hash", () => {
    it("takes RabbitMQ's hash and names its algorithm", () => {
        const s = parseSettings({
            users: [{ name: "app", passwordHash: HASH256, limits: { "max-connections": 5, "max-channels": 50 } }],
        });
        expect(s.users[0]).toMatchObject({
            name: "app",
            passwordHash: HASH256,
            hashingAlgorithm: "rabbit_password_hashing_sha256",
            limits: { "max-connections": 5, "max-channels": 50 },
        });
        expect(s.users[0].password).toBeUndefined();
    });

    it.each([
        [{ users: [{ name: "u", password: "long-enough", passwordHash: HASH256 }] }, "is set together with"],
        [
            { users: [{ name: "u", passwordHash: "not base64!" }] },
            "`burrow:users[0].passwordHash` is not a rabbit_password_hashing_sha256 hash",
        ],
        // A sha256 hash said to be sha512: the length gives it away.
        [
            { users: [{ name: "u", passwordHash: HASH256, hashingAlgorithm: "rabbit_password_hashing_sha512" }] },
            "is not a rabbit_password_hashing_sha512 hash",
        ],
        [
            { users: [{ name: "u", passwordHash: HASH256, hashingAlgorithm: "bcrypt" }] },
            "`burrow:users[0].hashingAlgorithm`",
        ],
        [
            { users: [{ name: "u", hashingAlgorithm: "rabbit_password_hashing_sha256" }] },
            "applies to `passwordHash` only",
        ],
        [{ users: [{ name: "u", limits: { "max-queues": 1 } }] }, "`burrow:users[0].limits.max-queues` is not a limit"],
    ])("refuses %j", (raw, expected) => {
        expect(problems(raw as RawConfig)).toContain(expected);
    });

    it("imports the given hash as is, with its algorithm, and the limits", () => {
        const d = definitionsOf({
            users: [
                {
                    name: "app",
                    tags: [],
                    limits: { "max-channels": 2 },
                    hashing_algorithm: "rabbit_password_hashing_sha256",
                },
            ],
        });
        expect(importDocument(d, { passwordHashes: { app: HASH256 } }).users).toEqual([
            {
                name: "app",
                password_hash: HASH256,
                hashing_algorithm: "rabbit_password_hashing_sha256",
                tags: [],
                limits: { "max-channels": 2 },
            },
        ]);
    });
});

describe("operator policies", () => {
    it("takes RabbitMQ's operator-policy keys", () => {
        const s = parseSettings({
            operatorPolicies: [
                {
                    name: "cap",
                    pattern: ".*",
                    definition: { "max-length": 1000, "delivery-limit": 5, overflow: "reject-publish" },
                },
            ],
        });
        expect(s.operatorPolicies[0]).toEqual({
            name: "cap",
            vhost: "/",
            pattern: ".*",
            applyTo: "queues",
            priority: 0,
            definition: { "max-length": 1000, "delivery-limit": 5, overflow: "reject-publish" },
        });
    });

    it.each([
        [
            { definition: { "ha-mode": "all" } },
            "`burrow:operatorPolicies[0].definition.ha-mode` is not a key RabbitMQ lets an operator policy set",
        ],
        [{ definition: { "dead-letter-exchange": "x" } }, "definition.dead-letter-exchange` is not a key"],
        [
            { definition: { "max-length": "ten" } },
            '`burrow:operatorPolicies[0].definition.max-length` is "ten"; expected an integer >= 0',
        ],
        [{ definition: {} }, "`burrow:operatorPolicies[0].definition`"],
        [{ definition: { expires: 1 }, applyTo: "exchanges" }, "`burrow:operatorPolicies[0].applyTo`"],
    ])("refuses %j", (over, expected) => {
        expect(problems({ operatorPolicies: [{ name: "p", pattern: ".*", ...over }] })).toContain(expected);
    });

    it("is an operator_policy parameter in the import", () => {
        const d = definitionsOf({
            operatorPolicies: [
                {
                    vhost: "/",
                    name: "cap",
                    pattern: ".*",
                    "apply-to": "queues",
                    definition: { "max-length": 5 },
                    priority: 1,
                },
            ],
        });
        expect(Object.keys(d.operatorPolicies)).toEqual(["cap"]);
        expect(importDocument(d).parameters).toEqual([
            {
                vhost: "/",
                component: "operator_policy",
                name: "cap",
                value: { pattern: ".*", definition: { "max-length": 5 }, priority: 1, "apply-to": "queues" },
            },
        ]);
    });
});

describe("shovels", () => {
    const remote = "amqp://mover:s3cret%21@rabbit-b:5672/%2F";
    const base = { name: "move", source: { queue: "a" }, destination: { uri: remote, queue: "b" } };

    it("defaults to this broker in the shovel's vhost, on-confirm, and enables the plugin", () => {
        const s = parseSettings({ vhosts: ["shop"], shovels: [{ ...base, vhost: "shop" }] });
        expect(s.shovels[0]).toEqual({
            name: "move",
            vhost: "shop",
            source: { uri: "amqp:///shop", queue: "a" },
            destination: { uri: remote, queue: "b" },
        });
        expect(s.plugins).toEqual([
            "rabbitmq_management",
            "rabbitmq_prometheus",
            "rabbitmq_shovel",
            "rabbitmq_shovel_management",
        ]);
    });

    it("writes RabbitMQ's keys, with the password masked in the state and the real URI only in the import", () => {
        const s = parseSettings({ shovels: [{ ...base, ackMode: "no-ack", deleteAfter: 1000 }] });
        const value = shovelValue(s.shovels[0]);
        expect(value).toEqual({
            "src-uri": "amqp://",
            "src-queue": "a",
            "src-delete-after": 1000,
            "dest-uri": "amqp://mover:***@rabbit-b:5672/%2F",
            "dest-queue": "b",
            "ack-mode": "no-ack",
        });
        // RabbitMQ's defaults stay out, as a shovel made by hand writes them.
        expect(shovelValue(parseSettings({ shovels: [base] }).shovels[0])).toEqual({
            "src-uri": "amqp://",
            "src-queue": "a",
            "dest-uri": "amqp://mover:***@rabbit-b:5672/%2F",
            "dest-queue": "b",
        });
        const d = definitionsOf({ shovels: [{ vhost: "/", name: "move", value }] });
        expect(JSON.stringify(d)).not.toContain("s3cret");
        const uris = { [secretUriKey("shovels", "move")]: { "src-uri": "amqp://", "dest-uri": remote } };
        const [param] = importDocument(d, { uris }).parameters;
        expect(param).toMatchObject({ component: "shovel", name: "move", vhost: "/" });
        expect((param.value as Record<string, unknown>)["dest-uri"]).toBe(remote);
    });

    it("takes AMQP 1.0 ends with an address and a full URI", () => {
        const s = parseSettings({
            shovels: [
                {
                    name: "to10",
                    source: { queue: "a" },
                    destination: { protocol: "amqp10", uri: "amqp://u:p@localhost:5672", address: "/queues/b" },
                },
            ],
        });
        expect(shovelValue(s.shovels[0])).toMatchObject({ "dest-protocol": "amqp10", "dest-address": "/queues/b" });
    });

    it.each([
        [{ source: { queue: "a", exchange: "x" } }, "`burrow:shovels[0].source` sets both `queue` and `exchange`"],
        [{ source: {} }, "`burrow:shovels[0].source` needs `queue`"],
        [
            { source: { exchange: "x" }, deleteAfter: "queue-length" },
            '`burrow:shovels[0].deleteAfter` "queue-length" needs',
        ],
        [{ deleteAfter: 0 }, "`burrow:shovels[0].deleteAfter`"],
        [{ ackMode: "sometimes" }, "`burrow:shovels[0].ackMode`"],
        [{ destination: { uri: "http://x", queue: "b" } }, '`burrow:shovels[0].destination.uri` has scheme "http:"'],
        [
            { destination: { protocol: "amqp10", uri: "amqp://", address: "/queues/b" } },
            "has no host (AMQP 1.0 needs a full URI)",
        ],
        [
            { destination: { protocol: "amqp10", uri: "amqp://h", queue: "b" } },
            "`burrow:shovels[0].destination.queue` is AMQP 0-9-1 only",
        ],
        [
            { source: { queue: "a", routingKey: "k" } },
            "`burrow:shovels[0].source.routingKey` applies with `exchange` only",
        ],
        [{ vhost: "nope" }, "`burrow:shovels[0].vhost`"],
    ])("refuses %j", (over, expected) => {
        expect(problems({ shovels: [{ ...base, ...over }] })).toContain(expected);
    });
});

describe("federation", () => {
    const upstream = { name: "origin", uri: "amqp://fed:pw-xxxxxx@rabbit-a:5672" };

    it("takes upstreams, sets and the policy that uses them, and enables the plugin", () => {
        const s = parseSettings({
            exchanges: [{ name: "events", type: "topic" }],
            federationUpstreams: [{ ...upstream, maxHops: 2, expires: 3600000 }],
            federationUpstreamSets: [{ name: "all-origins", upstreams: ["origin"] }],
            policies: [
                {
                    name: "fed",
                    pattern: "^events$",
                    applyTo: "exchanges",
                    definition: { "federation-upstream-set": "all-origins" },
                },
            ],
        });
        expect(upstreamValue(s.federationUpstreams[0])).toEqual({
            uri: "amqp://fed:***@rabbit-a:5672",
            "max-hops": 2,
            expires: 3600000,
        });
        expect(s.federationUpstreamSets[0].upstreams).toEqual([{ upstream: "origin" }]);
        expect(s.plugins).toContain("rabbitmq_federation");
    });

    it.each([
        [{ federationUpstreams: [{ name: "o" }] }, "`burrow:federationUpstreams[0].uri` is required"],
        [
            { federationUpstreams: [upstream], federationUpstreamSets: [{ name: "s", upstreams: ["other"] }] },
            '`burrow:federationUpstreamSets[0].upstreams[0].upstream` names upstream "other", which is not declared',
        ],
        [
            {
                federationUpstreams: [{ ...upstream, name: "other" }],
                policies: [{ name: "p", pattern: ".*", definition: { "federation-upstream": "origin" } }],
            },
            '`burrow:policies[0].definition.federation-upstream` names upstream "origin"',
        ],
        [
            {
                federationUpstreams: [upstream],
                policies: [{ name: "p", pattern: ".*", definition: { "federation-upstream-set": "x" } }],
            },
            '`burrow:policies[0].definition.federation-upstream-set` names set "x"',
        ],
    ])("refuses %j", (raw, expected) => {
        expect(problems(raw as RawConfig)).toContain(expected);
    });

    it('accepts the set "all" without declaring it', () => {
        const s = parseSettings({
            federationUpstreams: [upstream],
            policies: [
                { name: "p", pattern: ".*", applyTo: "exchanges", definition: { "federation-upstream-set": "all" } },
            ],
        });
        expect(s.policies).toHaveLength(1);
    });
});

describe("super streams", () => {
    it("is an exchange, a stream per partition and their bindings, as rabbitmq-streams makes them", () => {
        const s = parseSettings({
            superStreams: [{ name: "invoices", partitions: 2, arguments: { "x-max-age": "7D" } }],
        });
        expect(superStreamParts(s.superStreams[0])).toEqual({
            exchange: {
                name: "invoices",
                vhost: "/",
                type: "direct",
                durable: true,
                autoDelete: false,
                internal: false,
                arguments: { "x-super-stream": true },
            },
            queues: ["invoices-0", "invoices-1"].map((name) => ({
                name,
                vhost: "/",
                type: "stream",
                durable: true,
                autoDelete: false,
                arguments: { "x-max-age": "7D" },
                smoke: false,
            })),
            bindings: ["0", "1"].map((rk, i) => ({
                vhost: "/",
                source: "invoices",
                destination: `invoices-${rk}`,
                destinationType: "queue",
                routingKey: rk,
                arguments: { "x-stream-partition-order": i },
            })),
        });
        const keyed = parseSettings({ superStreams: [{ name: "orders", routingKeys: ["eu", "us"] }] });
        expect(superStreamParts(keyed.superStreams[0]).queues.map((q) => q.name)).toEqual(["orders-eu", "orders-us"]);
    });

    it("lets a binding use its exchange", () => {
        const s = parseSettings({
            superStreams: [{ name: "invoices" }],
            queues: ["audit"],
            bindings: [{ source: "invoices", destination: "audit", routingKey: "0" }],
        });
        expect(s.superStreams[0].routingKeys).toEqual(["0", "1", "2"]);
    });

    it.each([
        [
            { superStreams: [{ name: "s", partitions: 2, routingKeys: ["a"] }] },
            "sets both `partitions` and `routingKeys`",
        ],
        [{ superStreams: [{ name: "s", partitions: 0 }] }, "`burrow:superStreams[0].partitions`"],
        [
            { superStreams: [{ name: "s", arguments: { "x-message-ttl": 5 } }] },
            "`burrow:superStreams[0].arguments.x-message-ttl` is not a stream argument",
        ],
        [{ superStreams: [{ name: "s" }], queues: ["s-1"] }, 'makes queue "s-1", also declared in `burrow:queues`'],
        [{ superStreams: [{ name: "s", routingKeys: ["a", "a"] }] }, "lists a routing key twice"],
    ])("refuses %j", (raw, expected) => {
        expect(problems(raw as RawConfig)).toContain(expected);
    });
});

describe("global parameters and consent", () => {
    it("sets cluster_name, nothing else", () => {
        expect(parseSettings({ globalParameters: { cluster_name: "orders-prod" } }).globalParameters).toEqual({
            cluster_name: "orders-prod",
        });
        expect(problems({ globalParameters: { internal_cluster_id: "x" } })).toContain(
            "`burrow:globalParameters.internal_cluster_id` is not a global parameter burrow sets",
        );
        const d = definitionsOf({ globalParameters: [{ name: "cluster_name", value: "orders-prod" }] });
        expect(importDocument(d).global_parameters).toEqual([{ name: "cluster_name", value: "orders-prod" }]);
    });

    it("takes consent for shovels and policies as the refusal names them", () => {
        expect(parseSettings({ allowDataLoss: ["shovel move", "operator-policy cap"] }).allowDataLoss).toEqual([
            "shovel move",
            "operator-policy cap",
        ]);
        expect(problems({ allowDataLoss: ["federation x"] })).toContain("`burrow:allowDataLoss[0]`");
    });
});

describe("the import document", () => {
    it("sends a vhost's metadata where declared, its limits as the vhost-limits parameter", () => {
        const d = definitionsOf({
            vhosts: [
                { name: "plain" },
                { name: "shop", description: "d", default_queue_type: "quorum", limits: { "max-queues": 3 } },
            ],
        });
        const doc = importDocument(d);
        expect(doc.vhosts).toEqual([
            { name: "plain" },
            {
                name: "shop",
                description: "d",
                tags: [],
                default_queue_type: "quorum",
                metadata: { description: "d", tags: [], default_queue_type: "quorum" },
            },
        ]);
        expect(doc.parameters).toEqual([
            { vhost: "shop", component: "vhost-limits", name: "limits", value: { "max-queues": 3 } },
        ]);
        // A vhost whose description went away gets RabbitMQ's empty one back.
        expect(importDocument(d, {}, { resetVhosts: ["plain"] }).vhosts[0]).toMatchObject({
            description: "",
            tags: [],
        });
    });

    it("leaves one-shot shovels that already ran out, and imports shovels in a step of their own", () => {
        const sh = (name: string, after: unknown): ParameterDefinition => ({
            vhost: "/",
            name,
            value: {
                "src-uri": "amqp://",
                "src-queue": "a",
                "src-delete-after": after,
                "dest-uri": "amqp://",
                "dest-queue": "b",
            },
        });
        const d = definitionsOf({ shovels: [sh("once", "queue-length"), sh("always", "never")], queues: [] });
        expect(importDocument(d, {}, { skip: { shovels: ["once"] } }).parameters.map((p) => p.name)).toEqual([
            "always",
        ]);
        expect(importDocument(d, {}, { without: ["shovels"] }).parameters).toEqual([]);
    });
});

describe("what loses data (issue 15's kinds)", () => {
    const shovel = (mode: string) =>
        definitionsOf({ shovels: [{ vhost: "/", name: "move", value: { "ack-mode": mode, "src-queue": "a" } }] });
    const none = definitionsOf({});

    it("a shovel removed or restarted while it acks before the destination confirmed", () => {
        for (const mode of ["no-ack", "on-publish"]) {
            const losses = lossesOf(planChanges(shovel(mode), none), shovel(mode), { messages: {}, types: {} });
            expect(losses).toEqual([
                {
                    consent: "shovel move",
                    message: `shovel move: removed from the config: deleting it while it runs with ack-mode ${mode} drops the messages it took from the source and had not delivered yet (burrow cannot see how many are in flight)`,
                },
            ]);
        }
        // on-confirm: unconfirmed deliveries go back to the source.
        expect(
            lossesOf(planChanges(shovel("on-confirm"), none), shovel("on-confirm"), { messages: {}, types: {} }),
        ).toEqual([]);
    });

    it("a policy or operator policy whose max-length is below what a matching queue holds now", () => {
        const pol = (kind: "policies" | "operatorPolicies", max: number, overflow?: string) =>
            definitionsOf({
                [kind]: [
                    {
                        vhost: "/",
                        name: "cap",
                        pattern: "^ta",
                        "apply-to": "queues",
                        definition: { "max-length": max, ...(overflow ? { overflow } : {}) },
                        priority: 0,
                    },
                ],
            });
        const live = { messages: { tasks: 1204, tail: 3, other: 5000 }, types: { tasks: "classic" } };
        const news = pol("operatorPolicies", 100);
        const changes = planChanges(none, news);
        expect(needsLiveCounts(changes, news)).toBe(true);
        expect(lossesOf(changes, none, live, news)).toEqual([
            {
                consent: "operator-policy cap",
                message: "operator policy cap: queue tasks holds 1,204 messages: max-length 100 drops 1,104 messages",
            },
        ]);
        // reject-publish refuses new messages instead of dropping old ones.
        const rp = pol("policies", 100, "reject-publish");
        expect(lossesOf(planChanges(none, rp), none, live, rp)).toEqual([]);
        const p = pol("policies", 5000);
        expect(lossesOf(planChanges(none, p), none, live, p)).toEqual([]);
    });
});

describe("drift: what counts as still on the broker", () => {
    const stored = definitionsOf({
        vhosts: [{ name: "shop", description: "d", limits: { "max-queues": 3 } }],
        users: [
            {
                name: "app",
                tags: [],
                limits: { "max-channels": 2 },
                hashing_algorithm: "rabbit_password_hashing_sha256",
            },
        ],
        operatorPolicies: [
            {
                vhost: "/",
                name: "cap",
                pattern: ".*",
                "apply-to": "queues",
                definition: { "max-length": 5 },
                priority: 0,
            },
        ],
        shovels: [
            { vhost: "/", name: "s", value: { "src-uri": "amqp://", "dest-uri": "amqp://u:***@h", "dest-queue": "b" } },
            { vhost: "/", name: "once", value: { "src-uri": "amqp://", "src-delete-after": "queue-length" } },
        ],
        globalParameters: [{ name: "cluster_name", value: "c1" }],
    });
    const secrets = {
        passwordHashes: { app: HASH256 },
        uris: { [secretUriKey("shovels", "s")]: { "src-uri": "amqp://", "dest-uri": "amqp://u:real@h" } },
    };
    const live = {
        vhosts: [{ name: "shop", metadata: { description: "d", tags: [], default_queue_type: "classic" } }],
        users: [{ name: "app", password_hash: HASH256, limits: { "max-channels": 2 } }],
        parameters: [
            { vhost: "shop", component: "vhost-limits", name: "limits", value: { "max-queues": 3 } },
            {
                vhost: "/",
                component: "operator_policy",
                name: "cap",
                value: { pattern: ".*", definition: { "max-length": 5 }, priority: 0, "apply-to": "queues" },
            },
            {
                vhost: "/",
                component: "shovel",
                name: "s",
                value: { "src-uri": "amqp://", "dest-uri": "amqp://u:real@h", "dest-queue": "b" },
            },
        ],
        global_parameters: [{ name: "cluster_name", value: "c1" }],
    };
    const found = (l: typeof live) => {
        const f = foundOnBroker(l, stored, secrets);
        return Object.fromEntries(
            Object.entries(f)
                .filter(([, v]) => v.size > 0)
                .map(([k, v]) => [k, [...v]]),
        );
    };

    it("everything as declared; a one-shot shovel that is gone has done its work", () => {
        expect(found(live)).toEqual({
            vhosts: ["shop"],
            users: ["app"],
            operatorPolicies: ["cap"],
            shovels: ["s", "once"],
            globalParameters: ["cluster_name"],
        });
    });

    it("a limit, an operator policy, a shovel's URI, a password or the cluster name changed on the broker is gone", () => {
        const changed = {
            ...live,
            users: [
                { name: "app", password_hash: rabbitPasswordHash("changed-by-hand"), limits: { "max-channels": 2 } },
            ],
            parameters: [
                { vhost: "shop", component: "vhost-limits", name: "limits", value: { "max-queues": 30 } },
                {
                    ...live.parameters[1],
                    value: { pattern: ".*", definition: { "max-length": 50 }, priority: 0, "apply-to": "queues" },
                },
                {
                    ...live.parameters[2],
                    value: { "src-uri": "amqp://", "dest-uri": "amqp://u:other@h", "dest-queue": "b" },
                },
            ],
            global_parameters: [{ name: "cluster_name", value: "rabbit@node" }],
        };
        expect(found(changed)).toEqual({ shovels: ["once"] });
    });
});
