// The broker image's content tag: named by the program at preview (an upgrade's plan reads the
// version from the cached image) and by the provider when it builds. The engine hands the
// provider the `files` map with its keys sorted, so the tag must not depend on their order.
import { describe, expect, it } from "vitest";
import { brokerImageBuild } from "../../components/broker-image";
import { cacheTagOf } from "../../components/providers/docker-image";

describe("cacheTagOf", () => {
    it("is the same whatever the order of the files' names", () => {
        const b = brokerImageBuild("burrow/debian:trixie", ["rabbitmq_management", "rabbitmq_prometheus"]);
        const sorted = Object.fromEntries(Object.entries(b.files).sort(([x], [y]) => x.localeCompare(y)));
        const reversed = Object.fromEntries(Object.entries(b.files).reverse());
        expect(Object.keys(sorted)).not.toEqual(Object.keys(b.files));
        expect(cacheTagOf({ ...b, files: sorted })).toBe(cacheTagOf(b));
        expect(cacheTagOf({ ...b, files: reversed })).toBe(cacheTagOf(b));
    });

    it("changes with a file's content", () => {
        const b = brokerImageBuild("burrow/debian:trixie", ["rabbitmq_management"]);
        expect(cacheTagOf({ ...b, files: { ...b.files, "burrow-health": "#!/bin/sh\n" } })).not.toBe(cacheTagOf(b));
    });
});
