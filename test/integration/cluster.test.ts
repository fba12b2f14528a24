// A 3-node cluster in Docker: 10,000 messages published with confirms into a quorum
// queue; one node stopped; consuming goes on through the others; the node restarted and
// rejoined; all 10,000 consumed: lost 0, duplicated 0.
import * as amqp from "amqplib";
import { spawnSync } from "child_process";
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, createTestStack, changesOf } from "./harness";

const COUNT = 10_000;
let ts: TestStack;
let base: { amqp: number; mgmt: number };
const PASSWORD = "cluster-Admin-pass-1";
const url = (node: number) => `amqp://admin:${PASSWORD}@127.0.0.1:${base.amqp + node - 1}`;
const api = () => ({ url: `http://127.0.0.1:${base.mgmt}`, username: "admin", password: PASSWORD });

async function freeRange(n: number): Promise<number> {
    for (;;) {
        const start = 20000 + Math.floor(Math.random() * 30000);
        const ok = await Promise.all(
            Array.from(
                { length: n },
                (_, i) =>
                    new Promise<boolean>((resolve) => {
                        const s = net
                            .createServer()
                            .once("error", () => resolve(false))
                            .listen(start + i, "127.0.0.1", () => s.close(() => resolve(true)));
                    }),
            ),
        );
        if (ok.every(Boolean)) return start;
    }
}

/** `npm run status -- --json` against the test stack. */
function status(): {
    code: number | null;
    healthy: boolean;
    problems: string[];
    nodes: Array<{ name: string; fdLimit: number }>;
} {
    const r = spawnSync("npm", ["run", "--silent", "status", "--", "--json", "--stack", ts.name], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...ts.env },
        timeout: 180_000,
    });
    return { code: r.status, ...JSON.parse(r.stdout.trim().split("\n").pop() || "{}") };
}

async function runningNodes(): Promise<string[]> {
    const nodes =
        (await get<Array<{ name: string; running: boolean }>>(api(), "/api/nodes?columns=name,running")) ?? [];
    return nodes
        .filter((n) => n.running)
        .map((n) => n.name)
        .sort();
}

/** A node that was just restarted accepts TCP (docker-proxy) before its AMQP listener is up. */
async function connectWhenReady(node: number): Promise<amqp.ChannelModel> {
    for (let i = 0; ; i++) {
        try {
            return await amqp.connect(url(node));
        } catch (e) {
            if (i >= 60) throw e;
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
}

async function consume(node: number, max: number, seen: Map<number, number>): Promise<number> {
    const conn = await connectWhenReady(node);
    const ch = await conn.createChannel();
    await ch.prefetch(200);
    let got = 0;
    let tag = "";
    await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const arm = () => {
            if (idle) clearTimeout(idle);
            idle = setTimeout(resolve, 3000);
        };
        arm();
        ch.consume("orders", (m) => {
            if (!m) return;
            if (got >= max) return ch.nack(m, false, true); // beyond this share: back to the queue
            const n = Number(m.content.toString());
            seen.set(n, (seen.get(n) ?? 0) + 1);
            ch.ack(m);
            got++;
            if (got >= max) resolve();
            else arm();
        }).then((r) => (tag = r.consumerTag), reject);
    });
    // Stop deliveries, then let the last acks settle before the channel goes.
    if (tag) await ch.cancel(tag);
    await new Promise((r) => setTimeout(r, 1000));
    await conn.close();
    return got;
}

beforeAll(async () => {
    base = { amqp: await freeRange(4), mgmt: 0 };
    base.mgmt = await freeRange(4);
    ts = await createTestStack("cluster", {
        amqpPort: base.amqp,
        managementPort: base.mgmt,
        adminPassword: PASSWORD,
        cluster: { nodes: 3, replicationFactor: 3 },
        queues: ["orders"],
    });
});
afterAll(async () => ts?.destroy());

describe("a 3-node cluster", () => {
    it("forms with RabbitMQ's peer discovery; the smoke test publishes on node 1 and consumes on node 2", async () => {
        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(await runningNodes()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"]);
        expect(await get(api(), "/api/queues/%2F/orders")).toMatchObject({
            type: "quorum",
            arguments: { "x-quorum-initial-group-size": 3 },
        });
    });

    it("runs every node with pause_minority and its open-file limit; `npm run status` sees all three", async () => {
        for (let i = 1; i <= 3; i++) {
            const r = await docker([
                "exec",
                `burrow-${ts.name}-${i}`,
                "rabbitmqctl",
                "-q",
                "eval",
                "application:get_env(rabbit, cluster_partition_handling).",
            ]);
            expect(r.stdout.trim()).toBe("{ok,pause_minority}");
        }
        const s = status();
        expect(s.problems).toEqual([]);
        expect(s.code).toBe(0);
        expect(s.nodes.map((n) => n.name).sort()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"]);
        for (const n of s.nodes) expect(n.fdLimit).toBeGreaterThan(1024);
    });

    it("loses nothing when a node stops and comes back", async () => {
        const conn = await amqp.connect(url(1));
        const ch = await conn.createConfirmChannel();
        for (let i = 0; i < COUNT; i++) {
            ch.sendToQueue("orders", Buffer.from(String(i)), { persistent: true });
            if (i % 1000 === 999) await ch.waitForConfirms();
        }
        await ch.waitForConfirms();
        await conn.close();

        await docker(["stop", `burrow-${ts.name}-3`]);
        // The cluster is degraded: `npm run status` says which node.
        const degraded = status();
        expect(degraded.code).toBe(1);
        expect(degraded.problems.join("\n")).toMatch(/rabbit@rabbit-3 is not running|container burrow-\S+-3 is exited/);
        const seen = new Map<number, number>();
        // With node 3 down, a majority (1, 2) still serves the queue.
        const first = await consume(2, COUNT / 2, seen);
        expect(first).toBe(COUNT / 2);
        const c2 = await amqp.connect(url(2));
        const ch2 = await c2.createConfirmChannel();
        ch2.sendToQueue("orders", Buffer.from("published-while-node-3-down"), { persistent: true });
        await ch2.waitForConfirms();
        await c2.close();

        await docker(["start", `burrow-${ts.name}-3`]);
        for (let i = 0; i < 120 && (await runningNodes()).length < 3; i++)
            await new Promise((r) => setTimeout(r, 1000));
        expect(await runningNodes()).toHaveLength(3);

        const rest = await consume(3, COUNT, seen);
        let lost = 0,
            duplicated = 0;
        for (let i = 0; i < COUNT; i++) {
            const c = seen.get(i) ?? 0;
            if (c === 0) lost++;
            if (c > 1) duplicated += c - 1;
        }
        recordFigure("cluster.published", COUNT);
        recordFigure("cluster.lost", lost);
        recordFigure("cluster.duplicated", duplicated);
        recordFigure("faults.cluster-node-stopped.survived", lost === 0 ? 1 : 0);
        expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
        expect(first + rest).toBe(COUNT + 1); // and the message published while node 3 was down
    });

    it("joins a new node when scaled up, without touching the running ones, and forgets it when scaled down", async () => {
        await ts.stack.setConfig("burrow:cluster", { value: JSON.stringify({ nodes: 4, replicationFactor: 3 }) });
        const up4 = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up4.summary.resourceChanges?.replace ?? 0).toBe(0);
        expect(up4.summary.resourceChanges?.create).toBeGreaterThanOrEqual(2); // node 4's volume and container
        expect(await runningNodes()).toEqual([
            "rabbit@rabbit-1",
            "rabbit@rabbit-2",
            "rabbit@rabbit-3",
            "rabbit@rabbit-4",
        ]);
        expect(ts.output.join("\n")).toContain("an even number");

        await ts.stack.setConfig("burrow:cluster", { value: JSON.stringify({ nodes: 3, replicationFactor: 3 }) });
        const up3 = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up3.summary.resourceChanges?.delete).toBeGreaterThanOrEqual(2);
        const nodes = (await get<Array<{ name: string }>>(api(), "/api/nodes?columns=name")) ?? [];
        expect(nodes.map((n) => n.name).sort()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"]);
        expect(up3.outputs.smoke.value.ok).toBe(true);
    });

    it("changes nothing on a second up", async () => {
        const again = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(again)).toEqual({});
    });
});
