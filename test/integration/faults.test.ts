// Faults: the broker container killed between two `up`s, dockerd restarted, and
// `pulumi up` interrupted with SIGINT half-way. After each, the broker works again.
import * as amqp from "amqplib";
import { spawn, spawnSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { runSmoke } from "../../lib/smoke";
import { PROJECT_ROOT, TestStack, createTestStack, freePort } from "./harness";
import { recordFigure } from "../figures";

async function smokeWithin(url: string, ms: number) {
    const deadline = Date.now() + ms;
    let last = await runSmoke({ url, queues: [{ vhost: "/", name: "burrow.smoke" }] });
    while (!last.ok && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        last = await runSmoke({ url, queues: [{ vhost: "/", name: "burrow.smoke" }] });
    }
    return last;
}

async function restartDockerd() {
    // systemd-managed engines restart through systemd; burrow's bootstrap starts dockerd by hand.
    if (spawnSync("systemctl", ["is-active", "--quiet", "docker"]).status === 0) {
        spawnSync("systemctl", ["restart", "docker"], { stdio: "inherit" });
    } else {
        const pid = spawnSync("pidof", ["dockerd"], { encoding: "utf8" }).stdout.trim().split(" ")[0];
        expect(pid, "a running dockerd").toBeTruthy();
        process.kill(Number(pid), "SIGTERM");
        for (let i = 0; i < 100 && spawnSync("kill", ["-0", pid]).status === 0; i++)
            await new Promise((r) => setTimeout(r, 200));
        spawn("bash", ["-c", `nohup dockerd > ${PROJECT_ROOT}/.toolchain/logs/dockerd.log 2>&1 &`], {
            detached: true,
            stdio: "ignore",
        }).unref();
    }
    for (let i = 0; i < 150; i++) {
        if (spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("dockerd did not come back within 30 s");
}

describe("faults", () => {
    let ts: TestStack;
    let url: string;
    let container: string;
    beforeAll(async () => {
        ts = await createTestStack("faults", {
            amqpPort: await freePort(),
            managementPort: await freePort(),
            queues: ["durable-box"],
        });
        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        url = up.outputs.amqpUrl.value;
        container = up.outputs.containerName.value;
    });
    afterAll(async () => ts?.destroy());

    it("restores a killed broker container on the next up, and the smoke test passes", async () => {
        await docker(["kill", container]);
        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        expect(up.summary.resourceChanges?.replace).toBeGreaterThanOrEqual(1);
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect((await smokeWithin(url, 5_000)).ok).toBe(true);
        recordFigure("faults.container-killed.survived", 1);
    });

    it("comes back by itself with its data after dockerd restarts", async () => {
        const conn = await amqp.connect(url);
        const ch = await conn.createConfirmChannel();
        ch.sendToQueue("durable-box", Buffer.from("before-restart"), { persistent: true });
        await ch.waitForConfirms();
        await conn.close();

        await restartDockerd();
        const r = await smokeWithin(url, 120_000);
        expect(r.ok, r.error).toBe(true);
        const conn2 = await amqp.connect(url);
        const ch2 = await conn2.createChannel();
        const m = await ch2.get("durable-box", { noAck: true });
        await conn2.close();
        expect(m && m.content.toString()).toBe("before-restart");
        recordFigure("faults.dockerd-restart.survived", 1);
        // And Pulumi agrees nothing needs doing.
        const again = await ts.stack.preview();
        expect(again.changeSummary.replace ?? 0).toBe(0);
    });
});

describe("an interrupted pulumi up", () => {
    let ts: TestStack;
    beforeAll(async () => {
        ts = await createTestStack("sigint", { amqpPort: await freePort(), managementPort: await freePort() });
    });
    afterAll(async () => ts?.destroy());

    it("is completed by the next up", async () => {
        // The real CLI, interrupted (Ctrl-C) while the broker container is being created.
        const child = spawn("pulumi", ["up", "--yes", "--non-interactive", "--stack", ts.name], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        const interrupted = new Promise<void>((resolve) => {
            child.stdout.on("data", (d) => {
                out += d;
                if (/burrow-container-node creating/.test(out) && !child.killed) {
                    child.kill("SIGINT");
                    resolve();
                }
            });
        });
        const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
        await Promise.race([interrupted, exited]);
        const code = await exited;
        expect(out).toMatch(/burrow-container-node creating/);
        expect(code).not.toBe(0);

        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
        recordFigure("faults.sigint-during-up.survived", 1);
    });
});
