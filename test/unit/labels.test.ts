// Object labels: one format for state, previews, outputs and scripts, and every legal
// RabbitMQ name round-trips (issue: queue "b/c" in vhost "a" and queue "c" in vhost "a/b"
// were one label and were refused as declared twice).
import { describe, expect, it } from "vitest";
import { bindingLabel, objectLabel, parseLabel } from "../../lib/labels";
import { parseSettings } from "../../components/settings";

const NAMES = ["tasks", "a/b", "%2F", "50%", "/", "a//b", "ünïcødé q", "x%2Fy/z", " spaced ", "amq-ish.name"];

describe("object labels", () => {
    it("read like the preview: NAME in vhost /, VHOST/NAME elsewhere", () => {
        expect(objectLabel("/", "tasks")).toBe("tasks");
        expect(objectLabel("shop", "orders")).toBe("shop/orders");
    });

    it("round-trip every vhost and name, including / and % inside them", () => {
        for (const vhost of ["/", ...NAMES]) {
            for (const name of NAMES) expect(parseLabel(objectLabel(vhost, name))).toEqual({ vhost, name });
        }
    });

    it("tell apart queue b/c in vhost a from queue c in vhost a/b", () => {
        expect(objectLabel("a", "b/c")).not.toBe(objectLabel("a/b", "c"));
        const all = new Set<string>();
        const vhosts = new Set(["/", ...NAMES]); // "/" is in NAMES too
        for (const vhost of vhosts) for (const name of NAMES) all.add(objectLabel(vhost, name));
        expect(all.size).toBe(vhosts.size * NAMES.length);
    });

    it("refuse text no label could be (with the way to write a / inside a name)", () => {
        expect(() => parseLabel("a/b/c")).toThrow(/%2F/);
        expect(() => parseLabel("")).toThrow();
    });

    it("give bindings distinct labels even when routing keys hold parentheses", () => {
        const b = (routing_key: string, args: Record<string, unknown> = {}) =>
            bindingLabel({
                vhost: "/",
                source: "x",
                destination: "q",
                destination_type: "queue",
                routing_key,
                arguments: args,
            });
        expect(b("t.#")).toBe("x -> queue:q (t.#)");
        expect(b('a) {"k":1}')).not.toBe(b("a", { k: 1 }));
    });
});

describe("settings accept every legal name", () => {
    it("declares queue b/c in vhost a and queue c in vhost a/b side by side", () => {
        const s = parseSettings({
            vhosts: ["a", "a/b"],
            queues: [
                { name: "b/c", vhost: "a" },
                { name: "c", vhost: "a/b" },
            ],
        });
        expect(s.queues.map((q) => [q.vhost, q.name])).toEqual([
            ["a", "b/c"],
            ["a/b", "c"],
        ]);
    });
});
