// Faults: the broker container killed between two `up`s; the Docker engine restarted (an
// engine this test starts for itself, never the machine's shared one); `pulumi up`
// interrupted with SIGINT half-way. Each is judged by looking: messages confirmed before
// and found after, Docker's own view of containers, the state's pending operations, the
// objects Docker holds that the state does not. Each scenario ends with an up that changes nothing.
import { spawn } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerImageBuild } from "../../components/broker-image";
import { dockerImageProvider } from "../../components/providers/docker-image";
import { parseSettings } from "../../components/settings";
import { docker } from "../../lib/exec";
import { runSmoke } from "../../lib/smoke";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import {
    PROJECT_ROOT,
    TestStack,
    changesOf,
    cleanUp,
    createTestStack,
    dockerOrphans,
    freePort,
    stateOf,
} from "./harness";
import { PrivateEngine, startPrivateEngine } from "./private-dockerd";
import { containerStart, runningContainers } from "./probes";

const KEPT = 200; // persistent messages published (with confirms) before each fault

async function smokeWithin(url: string, ms: number) {
    const deadline = Date.now() + ms;
    let last = await runSmoke({ url, queues: [{ vhost: "/", name: "burrow.smoke" }] });
    while (!last.ok && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        last = await runSmoke({ url, queues: [{ vhost: "/", name: "burrow.smoke" }] });
    }
    return last;
}

/** Consumes what is in the queue (to KEPT or 60 s) and tallies it against "0".."KEPT-1". */
async function drain(url: string, queue: string) {
    const seen = new Map<string, number>();
    await consumeUpTo(url, queue, KEPT, seen, 60_000);
    return tally(seen, KEPT, await queueDepth(url, queue));
}

describe("a killed broker container", () => {
    let ts: TestStack;
    let url: string;
    let container: string;
    beforeAll(async () => {
        ts = await createTestStack("kill", {
            amqpPort: await freePort(),
            managementPort: await freePort(),
            queues: ["durable-box"],
        });
        const up = await ts.up();
        url = up.outputs.amqpUrl.value;
        container = up.outputs.containerName.value;
    });
    afterAll(() => cleanUp(() => ts?.destroy()));

    it("is restored by the next up with its data; an up after that changes nothing", async () => {
        const sent = await publishConfirmed(url, "durable-box", KEPT);
        expect(sent.confirmed).toBe(KEPT);
        const before = await containerStart(container);
        await docker(["kill", container]);
        expect((await containerStart(container)).running).toBe(false);

        const t0 = Date.now();
        const up = await ts.up();
        recordFigure("faults.container-killed.recovery-seconds", Math.round((Date.now() - t0) / 100) / 10);
        expect(up.summary.result).toBe("succeeded");
        const after = await containerStart(container);
        expect(after.running).toBe(true);
        expect(after.id).not.toBe(before.id); // a new container on the same volume

        const r = await drain(url, "durable-box");
        recordFigure("faults.container-killed.messages-kept", r.received, KEPT);
        expect(r).toEqual({ received: KEPT, duplicated: 0, lost: 0, leftInQueue: 0 });
        expect((await smokeWithin(url, 30_000)).ok).toBe(true);

        expect(changesOf(await ts.up())).toEqual({});
    });
});

/**
 * The image the default stack builds, as the shared engine has it (built there if needed,
 * which is a cache hit normally): the private engine has no route out to build it.
 */
async function brokerImageForPrivateEngine(): Promise<string[]> {
    const s = parseSettings({});
    const seedTag = `burrow-test/faults-seed:${Date.now().toString(36)}`;
    const built = await dockerImageProvider.create({
        tag: seedTag,
        ...brokerImageBuild(s.baseImage, s.plugins),
    });
    await docker(["image", "rm", seedTag]); // only the tag this test just made; the content tag stays
    if (!built.outs?.cacheTag) throw new Error("the image provider returned no cache tag");
    return [s.baseImage, built.outs.cacheTag];
}

describe("a Docker engine restart (an engine of this test's own)", () => {
    let engine: PrivateEngine;
    let ts: TestStack;
    let url: string;
    let container: string;
    beforeAll(async () => {
        const images = await brokerImageForPrivateEngine();
        engine = await startPrivateEngine();
        await engine.load(images);
        ts = await createTestStack(
            "dockerd",
            { amqpPort: await freePort(), managementPort: await freePort(), queues: ["durable-box"] },
            { env: engine.env },
        );
        const up = await ts.up();
        url = up.outputs.amqpUrl.value;
        container = up.outputs.containerName.value;
    });
    afterAll(() =>
        cleanUp(
            () => ts?.destroy(),
            () => engine?.stop(),
        ),
    );

    it("brings the broker back by itself with its data, restarts nothing else, and the next up changes nothing", async () => {
        const sent = await publishConfirmed(url, "durable-box", KEPT);
        expect(sent.confirmed).toBe(KEPT);
        const shared = await runningContainers();
        const mine = await containerStart(container, engine.env);

        const t0 = Date.now();
        await engine.restart();
        const smoke = await smokeWithin(url, 180_000);
        recordFigure("faults.dockerd-restart.recovery-seconds", Math.round((Date.now() - t0) / 100) / 10);
        expect(smoke.ok, smoke.error).toBe(true);
        // It really went down and came back: same container, started again by its restart policy.
        const again = await containerStart(container, engine.env);
        expect(again.id).toBe(mine.id);
        expect(again.startedAt).not.toBe(mine.startedAt);

        const r = await drain(url, "durable-box");
        recordFigure("faults.dockerd-restart.messages-kept", r.received, KEPT);
        expect(r).toEqual({ received: KEPT, duplicated: 0, lost: 0, leftInQueue: 0 });

        // The machine's engine was not touched: every container running there before (and still
        // there) has the start time it had.
        const now = await runningContainers();
        const restarted = [...shared].filter(([id, at]) => now.has(id) && now.get(id) !== at);
        recordFigure("faults.dockerd-restart.shared-containers-restarted", restarted.length, shared.size);
        expect(restarted).toEqual([]);

        expect(changesOf(await ts.up())).toEqual({});
    });
});

describe("an interrupted pulumi up", () => {
    let ts: TestStack;
    beforeAll(async () => {
        ts = await createTestStack("sigint", { amqpPort: await freePort(), managementPort: await freePort() });
    });
    afterAll(() => cleanUp(() => ts?.destroy()));

    it("leaves state and Docker that the next up completes, with no pending operation or orphan", async () => {
        // The real CLI, interrupted (Ctrl-C) while the broker container is being created.
        const child = spawn("pulumi", ["up", "--yes", "--non-interactive", "--stack", ts.name], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
        child.stderr.on("data", (d) => (out += d));
        child.stdout.on("data", (d) => {
            out += d;
            if (/burrow-container-node creating/.test(out) && child.signalCode === null && !child.killed)
                child.kill("SIGINT");
        });
        const killer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
        const code = await exited;
        clearTimeout(killer);
        ts.output.push(out);
        expect(out).toMatch(/burrow-container-node creating/);
        expect(code).not.toBe(0);

        // What the interrupt left, seen in the state and in Docker.
        const interrupted = await stateOf(ts);
        recordFigure("faults.sigint.pending-operations-after-interrupt", interrupted.pendingOperations);
        console.log(`sigint: after the interrupt, orphans: ${JSON.stringify(await dockerOrphans(ts))}`);

        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        const recovered = await stateOf(ts);
        const orphans = await dockerOrphans(ts);
        recordFigure("faults.sigint.orphans-after-recovery", orphans.length);
        expect(orphans).toEqual([]);
        expect(recovered.pendingOperations).toBe(0);
        const container = await containerStart(up.outputs.containerName.value);
        expect(container.running).toBe(true);
        expect(recovered.ids.has(container.id)).toBe(true);
        expect((await smokeWithin(up.outputs.amqpUrl.value, 30_000)).ok).toBe(true);

        expect(changesOf(await ts.up())).toEqual({});
    });
});
