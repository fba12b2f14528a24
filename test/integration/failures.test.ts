// Bad input and a taken port: each fails with a message naming the config key, and
// nothing is left half-made.
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFigure } from "../figures";
import { TestStack, createTestStack, dockerLeftovers, freePort } from "./harness";

describe("bad configuration", () => {
    let ts: TestStack;
    beforeAll(async () => {
        ts = await createTestStack("badcfg", {
            amqpPort: 0,
            queues: [{ name: "q", type: "lazy" }],
            bindings: [{ source: "missing", destination: "q" }],
        });
    });
    afterAll(async () => ts?.destroy());

    it("is rejected at preview with every bad key named, and nothing is created", async () => {
        const err = await ts.stack.preview().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err).toBeDefined();
        const msg = String(err);
        expect(msg).toContain("`burrow:amqpPort`");
        expect(msg).toContain("`burrow:queues[0].type`");
        expect(msg).toContain("`burrow:bindings[0].source`");
        expect(msg).toContain("nothing was created");
        const state = await ts.stack.exportStack();
        expect(state.deployment?.resources ?? []).toEqual([]);
    });
});

describe("a port already taken on the host", () => {
    let ts: TestStack;
    let blocker: net.Server;
    let port: number;
    beforeAll(async () => {
        port = await freePort();
        blocker = net.createServer().listen(port, "127.0.0.1");
        ts = await createTestStack("porttaken", { amqpPort: port, managementPort: await freePort() });
    });
    afterAll(async () => {
        blocker?.close();
        await ts?.destroy();
    });

    it("fails `pulumi up` quickly with the port and key named, leaving no container", async () => {
        const t0 = Date.now();
        const err = await ts.stack.up().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(String(err)).toContain(
            `cannot publish port ${port} on 127.0.0.1 (burrow:amqpPort): it is already in use`,
        );
        expect(Date.now() - t0).toBeLessThan(5 * 60_000); // an error, not a hang (the image may still build)
        const left = (await dockerLeftovers(ts.name)).filter(
            (x) => !x.endsWith("-data") && !x.startsWith("burrow/rabbitmq:"),
        );
        expect(left).toEqual([]);
        recordFigure("faults.port-taken.clear-error", 1);
    });
});
