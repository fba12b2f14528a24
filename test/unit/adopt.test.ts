// `npm run import`'s conversion, on a real export: the definitions of a RabbitMQ 4.0.5 broker
// configured by hand (rabbitmqctl and the HTTP API: vhosts with metadata and limits, users
// with limits and tags, an operator policy, shovels, a federation upstream and set, a super
// stream, a queue with an argument burrow does not know). Every object burrow can express
// comes back as the same value it has on the broker; the rest is named with the reason.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { shovelValue, upstreamValue, vhostDefinition } from "../../components/broker-topology";
import { parseSettings } from "../../components/settings";
import { canonicalJson } from "../../lib/definitions-plan";
import { RabbitExport, adopt } from "../../scripts/adopt";

const live = JSON.parse(
    fs.readFileSync(path.join(__dirname, "fixtures/rabbitmq-4.0.5-definitions.json"), "utf8"),
) as RabbitExport;
const { config, skipped } = adopt(live, "adm");
const s = parseSettings(config);
const param = (component: string, vhost: string, name: string) =>
    live.parameters!.find((p) => p.component === component && p.vhost === vhost && p.name === name)!.value;

describe("adopting a broker configured by hand", () => {
    it("gives a config burrow accepts, with the admin, guest kept, users by hash", () => {
        expect(config).toMatchObject({ adminUser: "adm", adminTags: ["administrator"], removeGuest: false });
        expect(config.adminPermissions).toEqual({ vhost: "/", configure: ".*", write: ".*", read: ".*" });
        expect(s.users.map((u) => [u.name, u.hashingAlgorithm, u.password])).toEqual([
            ["u1", "rabbit_password_hashing_sha256", undefined],
            ["u2", "rabbit_password_hashing_sha256", undefined],
        ]);
        expect(s.users[0]).toMatchObject({
            passwordHash: live.users!.find((u) => u.name === "u1")!.password_hash,
            limits: { "max-connections": 7 },
            permissions: [{ vhost: "shop", configure: "", write: ".*", read: ".*" }],
            topicPermissions: [{ vhost: "shop", exchange: "amq.topic", write: "^a", read: ".*" }],
        });
    });

    it("names each object it cannot express, and why", () => {
        expect(skipped).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^operator policy probe2: `operatorPolicies\[\d\]\.applyTo` is "exchanges"/),
                expect.stringMatching(/^user odduser: `users\[\d\]\.tags` has unknown user tag "custom-tag"/),
                expect.stringMatching(/^queue odd: `queues\[\d\]\.arguments\.x-custom-thing` is not a queue argument/),
                expect.stringMatching(
                    /^binding amq\.direct -> odd \(x\): `bindings\[\d\]\.destination` names queue "odd"/,
                ),
                expect.stringMatching(
                    /^permission shop\/adm: burrow declares the admin's permissions in one vhost only/,
                ),
            ]),
        );
        expect(s.queues.map((q) => q.name)).not.toContain("odd");
    });

    it("finds the super stream made by hand and declares it as one object", () => {
        expect(config.superStreams).toEqual([
            { name: "invoices", vhost: "shop", partitions: 2, arguments: { "x-max-age": "7D" } },
        ]);
        expect(s.queues.map((q) => q.name)).not.toContain("invoices-0");
        expect(s.exchanges.map((x) => x.name)).toEqual(["events"]);
    });

    it("comes back to the very values the broker holds (adopting changes nothing there)", () => {
        for (const sh of s.shovels)
            expect(canonicalJson(shovelValue(sh, (u) => u as string)), sh.name).toBe(
                canonicalJson(param("shovel", sh.vhost, sh.name)),
            );
        expect(s.shovels.map((x) => x.name).sort()).toEqual(["bad", "mv", "np", "s1"]);
        for (const u of s.federationUpstreams)
            expect(canonicalJson(upstreamValue(u, (x) => x as string))).toBe(
                canonicalJson(param("federation-upstream", u.vhost, u.name)),
            );
        expect(s.federationUpstreamSets).toEqual([{ name: "set1", vhost: "/", upstreams: [{ upstream: "up1" }] }]);
        for (const p of s.operatorPolicies)
            expect(
                canonicalJson({
                    pattern: p.pattern,
                    definition: p.definition,
                    priority: p.priority,
                    "apply-to": p.applyTo,
                }),
            ).toBe(canonicalJson(param("operator_policy", p.vhost, p.name)));
        expect(s.vhostObjects.map(vhostDefinition)).toEqual([
            { name: "v2", default_queue_type: "quorum", limits: { "max-queues": 3 } },
            { name: "v3", description: "d3", tags: ["t"], default_queue_type: "quorum" },
            {
                name: "shop",
                description: "changed desc",
                tags: ["x"],
                default_queue_type: "quorum",
                limits: { "max-connections": 10 },
            },
        ]);
        expect(s.globalParameters).toEqual({ cluster_name: "renamed" });
    });
});
