// What RabbitMQ would refuse at `up` is refused at preview: policy definitions, queue,
// exchange and binding arguments, each against the RabbitMQ version the Debian release (or a
// pinned rabbitmqVersion) brings. The rule tables (components/settings/rabbitmq.ts) were
// measured on RabbitMQ 3.10.8, 4.0.5 and 4.3.6; these tests pin the exact messages.
import { describe, expect, it } from "vitest";
import {
    POLICY_KEYS,
    QUEUE_ARGUMENTS,
    RELEASE_VERSIONS,
    RawConfig,
    SettingsError,
    parseSettings,
    versionAtLeast,
} from "../../components/settings";

function problems(raw: RawConfig): string[] {
    try {
        parseSettings(raw);
    } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as SettingsError).problems;
    }
    throw new Error("expected the settings to be rejected");
}
const policy = (definition: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
    policies: [{ name: "p", pattern: ".*", definition, ...more }],
});

describe("Debian releases and their RabbitMQ", () => {
    it("knows trixie, bookworm and forky with the versions their packages bring", () => {
        expect(RELEASE_VERSIONS).toEqual({
            bookworm: { debian: "12", rabbitmq: "3.10.8", erlang: "25" },
            trixie: { debian: "13", rabbitmq: "4.0.5", erlang: "27" },
            forky: { debian: "14 (testing)", rabbitmq: "4.3.6", erlang: "29" },
        });
        expect(parseSettings({ debianRelease: "forky" }).baseImage).toBe("burrow/debian:forky");
    });

    it("compares versions by number", () => {
        expect(versionAtLeast("4.0.5", "4.0")).toBe(true);
        expect(versionAtLeast("3.10.8", "4.0")).toBe(false);
        expect(versionAtLeast("3.10.8", "3.9")).toBe(true);
        expect(versionAtLeast("4.3.6", "4.3")).toBe(true);
    });
});

describe("policy definitions", () => {
    it("refuses ha-mode on RabbitMQ 4.x with a pointer to quorum queues, once per policy", () => {
        expect(problems(policy({ "ha-mode": "all", "ha-sync-mode": "automatic" }))).toEqual([
            '`burrow:policies[0].definition.ha-mode` (and ha-sync-mode) is not a policy key of RabbitMQ 4.0.5 (`burrow:debianRelease` trixie): classic mirrored queues were removed in RabbitMQ 4.0; use quorum queues instead ("type": "quorum" in `burrow:queues`, replicated across the nodes of `burrow:cluster`) and remove the ha-* keys',
        ]);
        expect(problems({ debianRelease: "forky", ...policy({ "ha-mode": "all" }) })[0]).toContain(
            "is not a policy key of RabbitMQ 4.3.6 (`burrow:debianRelease` forky): classic mirrored queues were removed",
        );
    });

    it("takes ha-mode on RabbitMQ 3.10 (bookworm), with the parameters its mode needs", () => {
        expect(parseSettings({ debianRelease: "bookworm", ...policy({ "ha-mode": "all" }) }).policies).toHaveLength(1);
        const ok = { debianRelease: "bookworm", ...policy({ "ha-mode": "exactly", "ha-params": 2 }) };
        expect(parseSettings(ok).policies[0].definition).toEqual({ "ha-mode": "exactly", "ha-params": 2 });
        expect(problems({ debianRelease: "bookworm", ...policy({ "ha-mode": "exactly" }) })).toEqual([
            '`burrow:policies[0].definition.ha-mode` is "exactly", which needs ha-params: a count > 0',
        ]);
        expect(problems({ debianRelease: "bookworm", ...policy({ "ha-mode": "all", "ha-params": 2 }) })).toEqual([
            '`burrow:policies[0].definition.ha-params` is set, but ha-mode "all" takes no ha-params; remove it',
        ]);
        expect(problems({ debianRelease: "bookworm", ...policy({ "ha-sync-mode": "automatic" }) })).toEqual([
            "`burrow:policies[0].definition.ha-sync-mode` needs ha-mode in the same definition",
        ]);
    });

    it("refuses a value of the wrong type: the broker's 400 (or 500) at up becomes a sentence at preview", () => {
        expect(problems(policy({ "max-length": "ten" }))).toEqual([
            '`burrow:policies[0].definition.max-length` is "ten"; expected an integer >= 0',
        ]);
        expect(problems(policy({ "message-ttl": "60000" }))).toEqual([
            '`burrow:policies[0].definition.message-ttl` is "60000"; expected an integer >= 0 (milliseconds) (a number, written without quotes)',
        ]);
        // RabbitMQ 3.10 and 4.0 answer max-age "ten" with an HTTP 500 and no reason.
        expect(problems(policy({ "max-age": "ten" }))).toEqual([
            '`burrow:policies[0].definition.max-age` is "ten"; expected a duration such as "7D", "12h" or "30m" (a whole number > 0 and one of Y, M, D, h, m, s)',
        ]);
        expect(problems(policy({ expires: 0 }))).toEqual([
            "`burrow:policies[0].definition.expires` is 0; expected an integer > 0 (milliseconds)",
        ]);
        expect(problems(policy({ overflow: "drop-tail" }))).toEqual([
            '`burrow:policies[0].definition.overflow` is "drop-tail"; expected one of drop-head, reject-publish, reject-publish-dlx',
        ]);
    });

    it("refuses unknown keys, with a near miss named", () => {
        const [p] = problems(policy({ "max-lenght": 5 }));
        expect(p).toMatch(
            /^`burrow:policies\[0\]\.definition\.max-lenght` is not a policy key RabbitMQ 4\.0\.5 \(`burrow:debianRelease` trixie\) knows \(did you mean max-length\?\); known: alternate-exchange, consumer-timeout, /,
        );
        expect(p).not.toContain("ha-mode"); // not a key of 4.0.5
        expect(p).not.toContain("federation-upstream"); // its plugin is not enabled
    });

    it("refuses keys the target version does not have yet, naming the release that has them", () => {
        expect(problems({ debianRelease: "bookworm", ...policy({ "consumer-timeout": 60000 }) })).toEqual([
            "`burrow:policies[0].definition.consumer-timeout` is not a policy key of RabbitMQ 3.10.8 (`burrow:debianRelease` bookworm); it needs RabbitMQ 4.0 or later (`burrow:debianRelease` trixie brings 4.0.5)",
        ]);
        expect(problems(policy({ "delayed-retry-type": "failed" }))).toEqual([
            "`burrow:policies[0].definition.delayed-retry-type` is not a policy key of RabbitMQ 4.0.5 (`burrow:debianRelease` trixie); it needs RabbitMQ 4.3 or later (`burrow:debianRelease` forky brings 4.3.6)",
        ]);
        expect(
            parseSettings({ debianRelease: "forky", ...policy({ "delayed-retry-type": "failed" }) }).policies,
        ).toHaveLength(1);
    });

    it("refuses queue-master-locator on 4.3 (deprecated, refused there) and takes balanced only from 4.0", () => {
        expect(problems({ debianRelease: "forky", ...policy({ "queue-master-locator": "client-local" }) })).toEqual([
            "`burrow:policies[0].definition.queue-master-locator` is not a policy key of RabbitMQ 4.3.6 (`burrow:debianRelease` forky): RabbitMQ 4.3 refuses this deprecated key; use queue-leader-locator",
        ]);
        expect(problems({ debianRelease: "bookworm", ...policy({ "queue-master-locator": "balanced" }) })).toEqual([
            '`burrow:policies[0].definition.queue-master-locator` is "balanced"; expected client-local, min-masters or random',
        ]);
        expect(parseSettings(policy({ "queue-master-locator": "balanced" })).policies).toHaveLength(1);
    });

    it("takes delivery-limit -1 (no limit) from 4.0 on only", () => {
        expect(parseSettings(policy({ "delivery-limit": -1 })).policies).toHaveLength(1);
        expect(problems({ debianRelease: "bookworm", ...policy({ "delivery-limit": -1 }) })).toEqual([
            "`burrow:policies[0].definition.delivery-limit` is -1; expected an integer >= 0",
        ]);
    });

    it("refuses a plugin's key without the plugin, and keys the broker takes only apart or together", () => {
        expect(problems(policy({ "federation-upstream": "up" }))).toEqual([
            "`burrow:policies[0].definition.federation-upstream` needs the rabbitmq_federation plugin; add it to `burrow:plugins`",
        ]);
        const fed = { plugins: ["rabbitmq_federation"] };
        expect(parseSettings({ ...fed, ...policy({ "federation-upstream": "up" }) }).policies).toHaveLength(1);
        expect(
            problems({ ...fed, ...policy({ "federation-upstream": "up", "federation-upstream-set": "all" }) }),
        ).toEqual([
            "`burrow:policies[0].definition` sets federation-upstream and federation-upstream-set; RabbitMQ takes only one of federation-upstream, federation-upstream-set, federation-upstream-pattern",
        ]);
        expect(problems({ plugins: ["rabbitmq_sharding"], ...policy({ "routing-key": "k" }) })).toEqual([
            "`burrow:policies[0].definition.routing-key` needs shards-per-node in the same definition",
        ]);
    });

    it("refuses per-queue-type targets before RabbitMQ 4.0", () => {
        expect(
            problems({ debianRelease: "bookworm", ...policy({ "max-length": 1 }, { applyTo: "quorum_queues" }) }),
        ).toEqual([
            '`burrow:policies[0].applyTo` is "quorum_queues", which RabbitMQ 3.10.8 (`burrow:debianRelease` bookworm) does not know; use queues, exchanges, all, or RabbitMQ 4.0 or later (`burrow:debianRelease` trixie brings 4.0.5)',
        ]);
        expect(parseSettings(policy({ "max-length": 1 }, { applyTo: "quorum_queues" })).policies).toHaveLength(1);
    });

    it("warns (does not refuse) about queue-mode on 4.x, which the broker takes and ignores", () => {
        const s = parseSettings(policy({ "queue-mode": "lazy" }));
        expect(s.warnings).toEqual([
            "`burrow:policies[0].definition.queue-mode` has no effect on RabbitMQ 4.0.5 (`burrow:debianRelease` trixie): classic queues keep their messages on disk by themselves since RabbitMQ 3.12 (lazy is how they always work); remove it",
        ]);
        expect(parseSettings({ debianRelease: "bookworm", ...policy({ "queue-mode": "lazy" }) }).warnings).toEqual([]);
    });

    it("checks against a pinned rabbitmqVersion on the SSH target", () => {
        const ssh = {
            target: "ssh",
            ssh: {
                host: "192.0.2.10",
                privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----",
                hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0",
            },
        };
        expect(problems({ ...ssh, rabbitmqVersion: "3.10.8-1.1", ...policy({ "target-group-size": 3 }) })).toEqual([
            "`burrow:policies[0].definition.target-group-size` is not a policy key of RabbitMQ 3.10.8 (`burrow:rabbitmqVersion` 3.10.8-1.1); it needs RabbitMQ 4.0 or later (`burrow:debianRelease` trixie brings 4.0.5)",
        ]);
    });

    it("names the argument path for a library user's args", () => {
        expect(() => parseSettings(policy({ "ha-mode": "all" }), "args", "mq")).toThrow(
            '`policies[0].definition.ha-mode` is not a policy key of RabbitMQ 4.0.5 (`debianRelease` trixie): classic mirrored queues were removed in RabbitMQ 4.0; use quorum queues instead ("type": "quorum" in `queues`, replicated across the nodes of `cluster`)',
        );
    });

    it("has a value check for every key, and every removed key says what to do instead", () => {
        for (const [k, rule] of Object.entries(POLICY_KEYS)) {
            expect(typeof rule.check, k).toBe("function");
            if (rule.removed) expect(rule.removed.instead((x) => x).length, k).toBeGreaterThan(20);
        }
    });
});

describe("queue, exchange and binding arguments", () => {
    const queue = (args: Record<string, unknown>, type = "classic") => ({
        queues: [{ name: "q", type, arguments: args }],
    });

    it("refuses what the broker refuses at declare, with the type it expected", () => {
        expect(problems(queue({ "x-max-length": "ten" }))).toEqual([
            '`burrow:queues[0].arguments.x-max-length` is "ten"; expected an integer >= 0',
        ]);
        expect(problems(queue({ "x-max-length": 10 }, "stream"))).toEqual([
            "`burrow:queues[0].arguments.x-max-length` does not apply to stream queues (only classic, quorum)",
        ]);
        expect(problems(queue({ "x-dead-letter-routing-key": "dead" }))).toEqual([
            "`burrow:queues[0].arguments.x-dead-letter-routing-key` needs x-dead-letter-exchange in the same arguments",
        ]);
        expect(problems(queue({ "x-stream-filter-size-bytes": 300 }, "stream"))).toEqual([
            "`burrow:queues[0].arguments.x-stream-filter-size-bytes` is 300; expected an integer from 16 to 255",
        ]);
    });

    it("follows the version: leader locator on classic queues from 4.0, queue version 1 gone in 4.3", () => {
        expect(parseSettings(queue({ "x-queue-leader-locator": "balanced" })).queues).toHaveLength(1);
        expect(problems({ debianRelease: "bookworm", ...queue({ "x-queue-leader-locator": "balanced" }) })).toEqual([
            "`burrow:queues[0].arguments.x-queue-leader-locator` does not apply to classic queues on RabbitMQ 3.10.8 (`burrow:debianRelease` bookworm); it needs RabbitMQ 4.0 or later (`burrow:debianRelease` trixie brings 4.0.5)",
        ]);
        expect(parseSettings(queue({ "x-queue-version": 1 })).queues).toHaveLength(1);
        expect(problems({ debianRelease: "forky", ...queue({ "x-queue-version": 1 }) })).toEqual([
            "`burrow:queues[0].arguments.x-queue-version` is 1; expected 2 (version 1 is gone in RabbitMQ 4.3)",
        ]);
        expect(parseSettings(queue({ "x-delivery-limit": -1 }, "quorum")).queues).toHaveLength(1);
        expect(problems({ debianRelease: "bookworm", ...queue({ "x-delivery-limit": -1 }, "quorum") })).toEqual([
            "`burrow:queues[0].arguments.x-delivery-limit` is -1; expected an integer >= 0",
        ]);
    });

    it("warns about x-queue-mode on 4.x", () => {
        expect(parseSettings(queue({ "x-queue-mode": "lazy" })).warnings).toEqual([
            "`burrow:queues[0].arguments.x-queue-mode` has no effect on RabbitMQ 4.0.5 (`burrow:debianRelease` trixie): classic queues keep their messages on disk by themselves since RabbitMQ 3.12 (lazy is how they always work); remove it",
        ]);
    });

    it("refuses a non-text alternate-exchange and unknown exchange arguments", () => {
        expect(
            problems({
                exchanges: [{ name: "e", type: "direct", arguments: { "alternate-exchange": 5, "x-foo": 1 } }],
            }),
        ).toEqual([
            "`burrow:exchanges[0].arguments.alternate-exchange` is 5; expected an exchange name",
            "`burrow:exchanges[0].arguments.x-foo` is not an exchange argument burrow knows; known: alternate-exchange",
        ]);
    });

    it("refuses a binding's x-match the headers exchange does not know", () => {
        expect(
            problems({
                queues: ["q"],
                bindings: [{ source: "amq.headers", destination: "q", arguments: { "x-match": "ten" } }],
            }),
        ).toEqual(['`burrow:bindings[0].arguments.x-match` is "ten"; expected all, any, all-with-x or any-with-x']);
    });

    it("has an expectation for every queue argument on every release", () => {
        for (const [k, spec] of Object.entries(QUEUE_ARGUMENTS))
            for (const r of Object.values(RELEASE_VERSIONS)) {
                const e = typeof spec.expect === "string" ? spec.expect : spec.expect(r.rabbitmq);
                expect(e.length, `${k} on ${r.rabbitmq}`).toBeGreaterThan(3);
            }
    });
});
