// A broker in a resource alarm blocks every publisher. The smoke test (runSmoke, `npm run
// smoke`, and the SmokeTest resource of `pulumi up`) must then fail within its bound and
// name the alarm with what to do, instead of waiting forever; once the alarm clears, it
// passes again. The alarms are real: a tiny memory watermark and a huge disk limit set
// with rabbitmqctl on the test's own broker. Last, a smoke queue holding an operator's
// messages: the smoke test must leave them alone.
import { UpResult } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishConfirmed } from "./amqp-helpers";
import { docker } from "../../lib/exec";
import { ManagementApi, get } from "../../lib/management-client";
import { NodeAlarms, SmokeResult, runSmoke } from "../../lib/smoke";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, createTestStack, freePort } from "./harness";

/** Each smoke step's bound in these tests; the hang guards below are many times this. */
const STEP_MS = 5_000;
/** The stack's burrow:memoryHighWatermark, put back once the memory alarm has been seen. */
const WATERMARK = 0.6;
const HANG_GUARD_MS = 90_000;

let ts: TestStack;
let up: UpResult;
let container: string;
let api: ManagementApi;
const queues = [{ vhost: "/", name: "burrow.smoke" }];

/** Fails the test (instead of hanging it) when `p` does not settle within `ms`. */
async function hangGuard<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} hung: no result within ${ms} ms`)), ms);
    });
    try {
        return await Promise.race([p, guard]);
    } finally {
        clearTimeout(timer);
    }
}

const rabbitmqctl = (...args: string[]) => docker(["exec", container, "rabbitmqctl", "-q", ...args]);

async function node(): Promise<NodeAlarms> {
    const nodes = await get<NodeAlarms[]>(api, "/api/nodes");
    return nodes![0];
}

/** Waits until the node's alarm flag reads `on` (the broker raises/clears it within seconds). */
async function waitForAlarm(flag: "mem_alarm" | "disk_free_alarm", on: boolean) {
    for (let i = 0; i < 120; i++) {
        if (Boolean((await node())[flag]) === on) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${flag} did not become ${on} within 60 s`);
}

async function timedSmoke(): Promise<{ r: SmokeResult; ms: number }> {
    const t0 = Date.now();
    const r = await hangGuard(
        HANG_GUARD_MS,
        "runSmoke",
        runSmoke({ url: up.outputs.amqpUrl.value, queues, timeoutMs: STEP_MS, api }),
    );
    return { r, ms: Date.now() - t0 };
}

/** `npm run smoke -- --json` against the test stack, as CI runs it. */
function smokeScript(): { status: number | null; line: SmokeResult & { error: string | null }; ms: number } {
    const t0 = Date.now();
    const r = spawnSync(
        "npm",
        ["run", "--silent", "smoke", "--", "--json", "--stack", ts.name, "--timeout-ms", String(STEP_MS)],
        { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, ...ts.env }, timeout: HANG_GUARD_MS },
    );
    const ms = Date.now() - t0;
    if (r.error) throw new Error(`npm run smoke hung: killed after ${ms} ms (${r.error.message})`);
    return { status: r.status, line: JSON.parse(r.stdout.trim().split("\n").pop()!), ms };
}

beforeAll(async () => {
    const managementPort = await freePort();
    ts = await createTestStack("alarm", {
        amqpPort: await freePort(),
        managementPort,
        memoryHighWatermark: WATERMARK,
    });
    up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
    container = up.outputs.containerName.value;
    api = {
        url: up.outputs.managementUrl.value,
        username: up.outputs.adminUser.value,
        password: up.outputs.adminPassword.value,
    };
});
afterAll(async () => ts?.destroy());

describe("a broker in a memory alarm", () => {
    beforeAll(async () => {
        await rabbitmqctl("set_vm_memory_high_watermark", "0.0001");
        await waitForAlarm("mem_alarm", true);
    });

    it("fails runSmoke at publish within its bound, naming the memory alarm and the keys to raise", async () => {
        const { r, ms } = await timedSmoke();
        console.log(`runSmoke in a memory alarm: failed after ${ms} ms (step bound ${STEP_MS} ms): ${r.error}`);
        recordFigure("smoke.memory-alarm.fail-ms", ms);
        expect(r.ok).toBe(false);
        expect(r.error).toMatch(/smoke test failed at publish on queue "burrow.smoke"/);
        expect(r.error).toMatch(/no publisher confirm within 5000 ms/);
        expect(r.error).toContain('the broker blocked publishing ("low on memory")');
        expect(r.error).toMatch(/memory alarm on rabbit@\S+ \(uses [\d.]+ MB, watermark [\d.]+ MB\)/);
        expect(r.error).toContain("burrow:memoryLimitMb");
        expect(r.error).toContain("burrow:memoryHighWatermark");
        expect(r.error).not.toContain(api.password);
    });

    it("fails `npm run smoke -- --json` with exit 1 and the alarm named", () => {
        const { status, line, ms } = smokeScript();
        console.log(`npm run smoke in a memory alarm: exit ${status} after ${ms} ms`);
        recordFigure("smoke.memory-alarm.script-fail-ms", ms);
        expect(status).toBe(1);
        expect(line.ok).toBe(false);
        expect(line.error).toContain("memory alarm on rabbit@");
        expect(line.error).toContain("burrow:memoryLimitMb");
    });

    it("fails `pulumi up` (its SmokeTest resource) naming the alarm, instead of waiting forever", async () => {
        // A new smoke queue changes the topology, so the SmokeTest resource runs again.
        await ts.stack.setConfig("burrow:queues", { value: JSON.stringify([{ name: "alarm-check", smoke: true }]) });
        const t0 = Date.now();
        const err = await hangGuard(
            10 * 60_000,
            "pulumi up",
            ts.stack.up({ onOutput: (o) => ts.output.push(o) }).then(
                () => undefined,
                (e: Error) => e,
            ),
        );
        const ms = Date.now() - t0;
        console.log(`pulumi up in a memory alarm: failed after ${ms} ms`);
        recordFigure("smoke.memory-alarm.up-fail-ms", ms);
        expect(err, "pulumi up must fail while the broker is in a memory alarm").toBeInstanceOf(Error);
        expect(err!.message).toMatch(/smoke test failed at publish/);
        expect(err!.message).toContain("memory alarm");
        expect(err!.message).toContain("burrow:memoryHighWatermark");
    });

    it("passes again once the alarm clears: runSmoke, the script, and pulumi up", async () => {
        await rabbitmqctl("set_vm_memory_high_watermark", String(WATERMARK));
        await waitForAlarm("mem_alarm", false);
        const { r, ms } = await timedSmoke();
        console.log(`runSmoke after the alarm cleared: ok=${r.ok} in ${ms} ms`);
        expect(r.ok, r.error).toBe(true);
        const s = smokeScript();
        expect(s.status, JSON.stringify(s.line)).toBe(0);
        const again = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(again.summary.result).toBe("succeeded");
        expect(again.outputs.smoke.value.ok).toBe(true);
    });
});

describe("a broker in a disk alarm", () => {
    let limit: number;
    beforeAll(async () => {
        limit = (await node()).disk_free_limit!;
        await rabbitmqctl("set_disk_free_limit", String(1e15)); // 1 PB: more than any disk here
        await waitForAlarm("disk_free_alarm", true);
    });
    afterAll(async () => {
        await rabbitmqctl("set_disk_free_limit", String(limit));
    });

    it("fails runSmoke within its bound naming the disk alarm, and passes once it clears", async () => {
        const { r, ms } = await timedSmoke();
        console.log(`runSmoke in a disk alarm: failed after ${ms} ms: ${r.error}`);
        recordFigure("smoke.disk-alarm.fail-ms", ms);
        expect(r.ok).toBe(false);
        expect(r.error).toContain('the broker blocked publishing ("low on disk');
        expect(r.error).toMatch(/disk alarm on rabbit@\S+ \([\d.]+ MB free, limit [\d.]+ MB\)/);
        expect(r.error).toContain("free disk space");
        expect(r.error).not.toContain("memory alarm");

        await rabbitmqctl("set_disk_free_limit", String(limit));
        await waitForAlarm("disk_free_alarm", false);
        const after = await timedSmoke();
        expect(after.r.ok, after.r.error).toBe(true);
    });
});

describe("a smoke queue that holds an operator's messages", () => {
    it("is not consumed from: the round trip goes through a queue of its own; the 150 messages stay, none redelivered", async () => {
        const url = up.outputs.amqpUrl.value as string;
        const QUEUE = "orders waiting";
        const setup = await amqp.connect(url);
        await (await setup.createChannel()).assertQueue(QUEUE, { durable: true });
        await setup.close();
        const sent = await publishConfirmed(url, QUEUE, 150, { prefix: "waiting-" });
        expect(sent.confirmed).toBe(150);
        const r = await runSmoke({ url, queues: [{ vhost: "/", name: QUEUE }], timeoutMs: STEP_MS, api });
        expect(r.error).toBeUndefined();
        expect(r.ok).toBe(true);
        expect(r.steps.find((s) => s.step === "check-queue" && s.queue === QUEUE)?.messages).toBe(150);
        const own = r.steps.find((s) => s.step === "consume")?.queue ?? "";
        expect(own).toMatch(/^burrow\.smoke\.own-/);
        // Its own queue is gone, and the operator's queue has all of its messages, never handed out.
        const queues = (await get<Array<{ name: string }>>(api, "/api/queues/%2F?columns=name")) ?? [];
        expect(queues.map((q) => q.name)).not.toContain(own);
        const conn = await amqp.connect(url);
        try {
            const ch = await conn.createChannel();
            let redelivered = 0;
            let got = 0;
            for (let m = await ch.get(QUEUE, { noAck: true }); m; m = await ch.get(QUEUE, { noAck: true })) {
                got++;
                if (m.fields.redelivered) redelivered++;
            }
            expect({ got, redelivered }).toEqual({ got: 150, redelivered: 0 });
            await ch.deleteQueue(QUEUE);
        } finally {
            await conn.close();
        }
    });
});
