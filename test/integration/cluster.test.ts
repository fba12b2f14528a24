// A 3-node cluster in Docker: 10,000 messages published with confirms into a quorum queue;
// one node stopped; half consumed through node 2 and one more published; the node restarted
// and rejoined; the rest consumed through node 3 (to the count or a deadline, then the
// queue's depth read): lost 0, duplicated 0. Scaling out to 4 is judged by Docker's start
// times and each node's uptime, not by Pulumi's replace count.
import { spawnSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { PROJECT_ROOT, TestStack, allocatePorts, changesOf, cleanUp, createTestStack } from "./harness";
import { containerStart } from "./probes";

const COUNT = 10_000;
let ts: TestStack;
let base: { amqp: number; mgmt: number };
const PASSWORD = "cluster-Admin-pass-1";
const url = (node: number) => `amqp://admin:${PASSWORD}@127.0.0.1:${base.amqp + node - 1}`;
const api = () => ({ url: `http://127.0.0.1:${base.mgmt}`, username: "admin", password: PASSWORD });
const containerOf = (node: number) => `burrow-${ts.name}-${node}`;

async function nodesInApi(): Promise<Array<{ name: string; running: boolean; uptime?: number }>> {
    return (
        (await get<Array<{ name: string; running: boolean; uptime?: number }>>(
            api(),
            "/api/nodes?columns=name,running,uptime",
        )) ?? []
    ).sort((a, b) => a.name.localeCompare(b.name));
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
    return (await nodesInApi()).filter((n) => n.running).map((n) => n.name);
}

beforeAll(async () => {
    // Node i publishes amqpPort+i-1 and managementPort+i-1: two separate blocks of 4.
    base = { amqp: await allocatePorts(4), mgmt: await allocatePorts(4) };
    ts = await createTestStack("cluster", {
        amqpPort: base.amqp,
        managementPort: base.mgmt,
        adminPassword: PASSWORD,
        cluster: { nodes: 3, replicationFactor: 3 },
        queues: ["orders"],
    });
});
afterAll(() => cleanUp(() => ts?.destroy()));

describe("a 3-node cluster", () => {
    it("forms with RabbitMQ's peer discovery; the smoke test publishes on node 1 and consumes on node 2", async () => {
        const up = await ts.up();
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
                containerOf(i),
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
        const sent = await publishConfirmed(url(1), "orders", COUNT);
        recordFigure("cluster.confirmed", sent.confirmed, COUNT);
        expect(sent.confirmed).toBe(COUNT);

        await docker(["stop", containerOf(3)]);
        // The cluster is degraded: `npm run status` says which node.
        const degraded = status();
        expect(degraded.code).toBe(1);
        expect(degraded.problems.join("\n")).toMatch(/rabbit@rabbit-3 is not running|container burrow-\S+-3 is exited/);
        const seen = new Map<string, number>();
        // With node 3 down, a majority (1, 2) still serves the queue.
        const first = await consumeUpTo(url(2), "orders", COUNT / 2, seen, 5 * 60_000);
        expect(first).toBe(COUNT / 2);
        const extra = await publishConfirmed(url(2), "orders", 1, { prefix: "while-node-3-down-" });
        expect(extra.confirmed).toBe(1);

        const t0 = Date.now();
        await docker(["start", containerOf(3)]);
        for (let i = 0; i < 180 && (await runningNodes()).length < 3; i++)
            await new Promise((r) => setTimeout(r, 1000));
        recordFigure("cluster.node-rejoin-seconds", Math.round((Date.now() - t0) / 100) / 10);
        expect(await runningNodes()).toHaveLength(3);

        // The rest through node 3: to the count, or 5 minutes, then what is left in the queue.
        await consumeUpTo(url(3), "orders", COUNT - first + 1, seen, 5 * 60_000);
        const r = tally(seen, COUNT, await queueDepth(url(1), "orders"));
        recordFigure("cluster.received", r.received, COUNT);
        recordFigure("cluster.lost", r.lost);
        recordFigure("cluster.duplicated", r.duplicated);
        expect(r).toEqual({ received: COUNT, lost: 0, duplicated: 0, leftInQueue: 0 });
        expect(seen.get("while-node-3-down-0")).toBe(1); // and the message published while node 3 was down
    });

    it("joins a new node when scaled up, without restarting the running ones, and forgets it when scaled down", async () => {
        const snapshot = async () => {
            // A node's uptime appears in the API with its first metrics: wait for all three.
            let nodes = await nodesInApi();
            for (let i = 0; i < 60 && nodes.filter((n) => (n.uptime ?? 0) > 0).length < 3; i++) {
                await new Promise((r) => setTimeout(r, 1000));
                nodes = await nodesInApi();
            }
            const uptimes = new Map(nodes.map((n) => [n.name, n.uptime ?? 0]));
            return Promise.all(
                [1, 2, 3].map(async (i) => ({
                    ...(await containerStart(containerOf(i))),
                    uptime: uptimes.get(`rabbit@rabbit-${i}`) ?? 0,
                })),
            );
        };
        const before = await snapshot();
        await ts.stack.setConfig("burrow:cluster", { value: JSON.stringify({ nodes: 4, replicationFactor: 3 }) });
        const up4 = await ts.up();
        expect(up4.summary.result).toBe("succeeded");
        const after = await snapshot();
        // A node restarted shows a new container id or start time, or an uptime that went back.
        const restarted = before.filter(
            (b, i) => after[i].id !== b.id || after[i].startedAt !== b.startedAt || after[i].uptime < b.uptime,
        ).length;
        recordFigure("cluster.scale-out.running-nodes-restarted", restarted, 3);
        expect(restarted).toBe(0);
        // The API reported uptimes to compare.
        expect(
            before.map((b) => b.uptime > 0),
            JSON.stringify(before),
        ).toEqual([true, true, true]);
        expect(await runningNodes()).toEqual([
            "rabbit@rabbit-1",
            "rabbit@rabbit-2",
            "rabbit@rabbit-3",
            "rabbit@rabbit-4",
        ]);
        expect(ts.output.join("\n")).toContain("an even number");

        await ts.stack.setConfig("burrow:cluster", { value: JSON.stringify({ nodes: 3, replicationFactor: 3 }) });
        const up3 = await ts.up();
        expect(up3.summary.result).toBe("succeeded");
        const nodes = await nodesInApi();
        expect(nodes.map((n) => n.name)).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"]);
        await expect(containerStart(containerOf(4))).rejects.toThrow(); // node 4's container is gone
        expect(up3.outputs.smoke.value.ok).toBe(true);
    });

    it("refuses at preview to move amqpPort by 1 (node 1 would take node 2's port), naming node 2 and the way to do it", async () => {
        await ts.stack.setConfig("burrow:amqpPort", { value: String(base.amqp + 1) });
        const refused = await ts
            .preview()
            .then(() => "")
            .catch((e: Error) => String(e))
            .finally(() => ts.stack.setConfig("burrow:amqpPort", { value: String(base.amqp) }));
        // Node 1 would take node 2's port, node 2 node 3's: whichever diff runs first names its neighbour.
        expect(refused).toMatch(new RegExp(`this stack's node burrow-${ts.name}-[23] publishes it`));
        expect(refused).toContain("The running node was not touched.");
        expect(refused).toContain("Move a cluster's ports by at least its number of nodes");
        expect((await runningNodes()).length).toBe(3);
    });

    it("changes nothing on a second up", async () => {
        expect(changesOf(await ts.up())).toEqual({});
    });
});
