// Bad input and a taken port: each fails with a message naming the config key, and
// nothing is left half-made.
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFigure } from "../figures";
import { TestStack, cleanUp, createTestStack, dockerLeftovers, freePort } from "./harness";

describe("bad configuration", () => {
    let ts: TestStack;
    beforeAll(async () => {
        ts = await createTestStack("badcfg", {
            amqpPort: 0,
            queues: [{ name: "q", type: "lazy" }],
            bindings: [{ source: "missing", destination: "q" }],
        });
    });
    afterAll(() => cleanUp(() => ts?.destroy()));

    it("is rejected at preview with every bad key named, and nothing is created", async () => {
        const err = await ts.preview().then(
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
        blocker = net.createServer();
        await new Promise<void>((resolve, reject) => blocker.once("error", reject).listen(port, "127.0.0.1", resolve));
        ts = await createTestStack("porttaken", { amqpPort: port, managementPort: await freePort() });
    });
    afterAll(() =>
        cleanUp(
            () => new Promise((r) => (blocker ? blocker.close(r) : r(undefined))),
            () => ts?.destroy(),
        ),
    );

    it("fails `pulumi up` with the port and key named, leaving no container", async () => {
        const t0 = Date.now();
        const err = await ts.up().then(
            () => undefined,
            (e: Error) => e,
        );
        recordFigure("faults.port-taken.seconds-to-error", Math.round((Date.now() - t0) / 100) / 10);
        expect(String(err)).toContain(
            `cannot publish port ${port} on 127.0.0.1 (burrow:amqpPort): it is already in use`,
        );
        // Containers only: the volume and the image tag are in the state, and destroy removes them.
        const left = (await dockerLeftovers(ts.name)).filter(
            (x) => !x.endsWith("-data") && !x.startsWith("burrow/rabbitmq:"),
        );
        recordFigure("faults.port-taken.objects-left", left.length);
        expect(err, "up must fail").toBeDefined();
        expect(left).toEqual([]);
        // And what listens on the port is still the blocker, untouched.
        expect(blocker.listening).toBe(true);
    });
});
