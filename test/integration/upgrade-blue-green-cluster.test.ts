// Blue-green upgrade of a 3-node cluster, trixie (RabbitMQ 4.0.5) -> forky (4.3.6), by one
// `pulumi up` through the real CLI (issue 16, figure 2). Before the change: 10,000 persistent
// messages in a quorum queue (a member on each node) and in a classic queue, and a user made
// by a client through the management API. During the up a publisher and a consumer of that
// user run on a third queue, reconnecting to any node. After it: a new cluster of 3 nodes on
// the same ports (new containers, volumes and network, generation -v4.3), the quorum
// queues with a member on each new node, every message consumed from it, the users' passwords
// tried, the old cluster's containers, volumes and network gone, and an up that changes nothing.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { ManagementApi, get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { TestStack, allocatePorts, changesOf, createTestStack } from "./harness";
import { accounting, startTraffic } from "./traffic";

const COUNT = 10_000;
const PASSWORD = "bgcluster-Admin-pass-1";
const APP = { name: "app", password: "bgcluster-App-pass-1" };
const CLIENT = { name: "client", password: "made-by-a-Client-2" };
const QUEUES = ["bulk-quorum", "bulk-classic"] as const;
const nodes = ["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"];

const byLabel = async (kind: "ps -a" | "volume ls" | "network ls", stack: string) =>
    (
        await docker([
            ...kind.split(" "),
            "--filter",
            `label=burrow.stack=${stack}`,
            "--format",
            kind === "ps -a" ? "{{.Names}}" : "{{.Name}}",
        ])
    ).stdout
        .split("\n")
        .filter(Boolean)
        .sort();

describe("a blue-green upgrade of a 3-node cluster, trixie (4.0.5) -> forky (4.3.6), with clients running", () => {
    let ts: TestStack;
    let amqpPort: number;
    let mgmt: number;
    const api = (i = 1): ManagementApi => ({
        url: `http://127.0.0.1:${mgmt + i - 1}`,
        username: "admin",
        password: PASSWORD,
    });
    const admin = (i = 1) => `amqp://admin:${PASSWORD}@127.0.0.1:${amqpPort + i - 1}`;

    beforeAll(async () => {
        amqpPort = await allocatePorts(3);
        mgmt = await allocatePorts(3);
        ts = await createTestStack("bgcluster", {
            amqpPort,
            managementPort: mgmt,
            adminPassword: PASSWORD,
            cluster: 3,
            queues: [
                { name: "bulk-quorum", type: "quorum" },
                { name: "bulk-classic", type: "classic" },
                { name: "live", type: "quorum" },
            ],
            users: [{ name: APP.name, password: APP.password, permissions: [{ vhost: "/" }] }],
        });
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.rabbitmqVersion.value).toMatch(/^4\.0\.5/);
        await request(api(), "PUT", `/api/users/${CLIENT.name}`, { password: CLIENT.password, tags: "" });
        await request(api(), "PUT", `/api/permissions/%2F/${CLIENT.name}`, {
            configure: ".*",
            write: ".*",
            read: ".*",
        });
        for (const q of QUEUES)
            expect((await publishConfirmed(admin(), q, COUNT, { prefix: `${q}-` })).confirmed).toBe(COUNT);
    });
    afterAll(async () => ts?.destroy());

    it("moves every message and user to a new cluster on the same ports; the old one goes", async () => {
        const urls = [1, 2, 3].map((i) => `amqp://${CLIENT.name}:${CLIENT.password}@127.0.0.1:${amqpPort + i - 1}`);
        const live = startTraffic({ urls, queue: "live", prefix: "live-", pauseMs: 5 });
        await new Promise((r) => setTimeout(r, 3000));
        await ts.stack.setConfig("burrow:debianRelease", { value: "forky" });
        const from = ts.output.length;
        const t0 = Date.now();
        const up = await ts.up();
        const upSeconds = (Date.now() - t0) / 1000;
        const said = ts.output.slice(from).join("");
        await new Promise((r) => setTimeout(r, 3000));
        const traffic = await live.stop();
        const liveCount = accounting(traffic);

        const bulk: Record<string, ReturnType<typeof tally>> = {};
        for (const q of QUEUES) {
            const seen = new Map<string, number>();
            await consumeUpTo(admin(2), q, COUNT, seen, 5 * 60_000);
            bulk[q] = tally(seen, COUNT, await queueDepth(admin(2), q), `${q}-`);
        }
        let logins = await get(api(3), "/api/whoami").then(
            () => 1,
            () => 0,
        );
        for (const u of [APP, CLIENT]) {
            const c = await amqp
                .connect(`amqp://${u.name}:${u.password}@127.0.0.1:${amqpPort + 2}`)
                .catch(() => undefined);
            if (c) {
                logins++;
                await c.close();
            }
        }
        const running = ((await get<Array<{ name: string; running: boolean }>>(api(3), "/api/nodes")) ?? [])
            .filter((n) => n.running)
            .map((n) => n.name)
            .sort();
        const members = (
            (await get<Array<{ "Node Name": string }>>(api(), "/api/queues/quorum/%2F/bulk-quorum/status")) ?? []
        )
            .map((m) => m["Node Name"])
            .sort();
        const left = {
            containers: await byLabel("ps -a", ts.name),
            volumes: await byLabel("volume ls", ts.name),
            networks: await byLabel("network ls", ts.name),
        };
        console.log(
            `blue-green cluster: up ${upSeconds} s, live ${JSON.stringify(liveCount)}, reconnects ${traffic.publisherReconnects}/${traffic.consumerReconnects}, gap ${traffic.longestConfirmGapMs} ms, left ${JSON.stringify(left)}`,
        );
        recordFigure("upgrades.blue-green-cluster.published", COUNT * QUEUES.length);
        recordFigure(
            "upgrades.blue-green-cluster.moved",
            Object.values(bulk).reduce((n, r) => n + r.received, 0),
            COUNT * QUEUES.length,
        );
        recordFigure("upgrades.blue-green-cluster.lost", bulk["bulk-quorum"].lost + bulk["bulk-classic"].lost);
        recordFigure(
            "upgrades.blue-green-cluster.duplicated",
            bulk["bulk-quorum"].duplicated + bulk["bulk-classic"].duplicated,
        );
        recordFigure("upgrades.blue-green-cluster.live-published", liveCount.published);
        recordFigure("upgrades.blue-green-cluster.live-lost", liveCount.lost);
        recordFigure("upgrades.blue-green-cluster.live-duplicated", liveCount.duplicated);
        recordFigure(
            "upgrades.blue-green-cluster.switch-over-seconds",
            Math.round(traffic.longestConfirmGapMs / 100) / 10,
        );
        recordFigure("upgrades.blue-green-cluster.up-seconds", Math.round(upSeconds));
        recordFigure("upgrades.blue-green-cluster.logins-working", logins, 3);

        expect(up.summary.result).toBe("succeeded");
        expect(said).toMatch(/burrow:debianRelease trixie -> forky: RabbitMQ 4\.0\.5 -> 4\.3\.6 is a new series/);
        expect(up.outputs.rabbitmqVersion.value).toMatch(/^4\.3\./);
        expect(up.outputs.smoke.value.ok).toBe(true);
        for (const q of QUEUES) expect(bulk[q]).toEqual({ received: COUNT, duplicated: 0, lost: 0, leftInQueue: 0 });
        expect(liveCount.lost).toBe(0);
        expect(logins).toBe(3);
        expect(running).toEqual(nodes);
        expect(members).toEqual(nodes);
        const g = `burrow-${ts.name}-v4.3`;
        expect(left).toEqual({
            containers: [`${g}-1`, `${g}-2`, `${g}-3`],
            volumes: [`${g}-1-data`, `${g}-2-data`, `${g}-3-data`],
            networks: [g],
        });
    });

    it("then up changes nothing", async () => {
        expect(changesOf(await ts.up())).toEqual({});
    });
});
