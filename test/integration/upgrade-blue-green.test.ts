// Blue-green upgrade of a single broker, bookworm (RabbitMQ 3.10.8) -> trixie (4.0.5), by one
// `pulumi up` through the real CLI (issue 16 slice 3, figure 1). Before the change: 10,000
// persistent messages in a classic and in a quorum queue, 500 in a stream, and a user made
// by a client through the management API (not in burrow's config: only its password hash
// can bring it across). During the up a publisher and a consumer of that user run on a third
// queue, reconnecting whenever the broker goes away. After it: every message of the classic
// and quorum queues consumed from the new broker, the stream read from its first offset, the
// users' passwords tried, the old broker's container and volume gone, and an up that changes nothing.
//
// A second stack is interrupted (Ctrl-C twice, the CLI's immediate stop) while the messages
// move: the old broker and its volume are still there, and the next up finishes the move.
import * as amqp from "amqplib";
import { spawn } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { ManagementApi, get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { PROJECT_ROOT, TestStack, allocatePorts, changesOf, createTestStack, recoverState } from "./harness";
import { accounting, startTraffic } from "./traffic";

const COUNT = 10_000;
const STREAM = 500;
const PASSWORD = "bluegreen-Admin-pass-1";
const APP = { name: "app", password: "bluegreen-App-pass-1" };
const CLIENT = { name: "client", password: "made-by-a-Client-1" };
const QUEUES = ["bulk-classic", "bulk-quorum"] as const;
const SHOP = 300;
const shopUrl = (port: number) => `amqp://${APP.name}:${APP.password}@127.0.0.1:${port}/shop`;

/** The messages of vhost shop's queue, consumed from the broker that runs now. */
async function drainShop(port: number) {
    const seen = new Map<string, number>();
    await consumeUpTo(shopUrl(port), "orders", SHOP, seen, 60_000);
    return tally(seen, SHOP, await queueDepth(shopUrl(port), "orders"), "shop-");
}

/** A broker on bookworm with the queues and users of this test, and the messages published into it. */
async function standUp(role: string) {
    const amqpPort = await allocatePorts(2);
    const ts = await createTestStack(role, {
        debianRelease: "bookworm",
        amqpPort,
        managementPort: amqpPort + 1,
        adminPassword: PASSWORD,
        queues: [
            { name: "bulk-classic", type: "classic" },
            { name: "bulk-quorum", type: "quorum" },
            { name: "live", type: "classic" },
            { name: "events", type: "stream" },
            // In a vhost where the admin has no permissions (its default is "/" only).
            { name: "orders", vhost: "shop", type: "quorum" },
        ],
        vhosts: ["shop"],
        users: [{ name: APP.name, password: APP.password, permissions: [{ vhost: "/" }, { vhost: "shop" }] }],
    });
    const up = await ts.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.rabbitmqVersion.value).toMatch(/^3\.10\.8/);
    const api: ManagementApi = { url: `http://127.0.0.1:${amqpPort + 1}`, username: "admin", password: PASSWORD };
    await request(api, "PUT", `/api/users/${CLIENT.name}`, { password: CLIENT.password, tags: "" });
    await request(api, "PUT", `/api/permissions/%2F/${CLIENT.name}`, { configure: ".*", write: ".*", read: ".*" });
    const admin = `amqp://admin:${PASSWORD}@127.0.0.1:${amqpPort}`;
    for (const q of QUEUES)
        expect((await publishConfirmed(admin, q, COUNT, { prefix: `${q}-` })).confirmed).toBe(COUNT);
    expect((await publishConfirmed(admin, "events", STREAM, { prefix: "event-" })).confirmed).toBe(STREAM);
    expect((await publishConfirmed(shopUrl(amqpPort), "orders", SHOP, { prefix: "shop-" })).confirmed).toBe(SHOP);
    return { ts, amqpPort, api, admin };
}

/** Every message of the bulk queues, consumed from the broker that runs now. */
async function drainBulk(url: string) {
    const out: Record<string, ReturnType<typeof tally>> = {};
    for (const q of QUEUES) {
        const seen = new Map<string, number>();
        await consumeUpTo(url, q, COUNT, seen, 5 * 60_000);
        out[q] = tally(seen, COUNT, await queueDepth(url, q), `${q}-`);
    }
    return out;
}

/** The stream from its first offset: how many of its messages, in order, with no extra. */
async function readStream(url: string): Promise<{ distinct: number; inOrder: boolean; total: number }> {
    const conn = await amqp.connect(url);
    const bodies: string[] = [];
    try {
        const ch = await conn.createChannel();
        await ch.prefetch(100);
        await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 30_000);
            void ch.consume(
                "events",
                (m) => {
                    if (!m) return;
                    bodies.push(m.content.toString());
                    ch.ack(m);
                    if (bodies.length >= STREAM) {
                        clearTimeout(timer);
                        setTimeout(resolve, 2000); // anything beyond the moved messages arrives too
                    }
                },
                { arguments: { "x-stream-offset": "first" } },
            );
        });
    } finally {
        await conn.close().catch(() => undefined);
    }
    const distinct = new Set(bodies.filter((b) => b.startsWith("event-"))).size;
    const inOrder = bodies.slice(0, STREAM).every((b, i) => b === `event-${i}`);
    return { distinct, inOrder, total: bodies.length };
}

/** Logins that work on the broker now: the admin (API), a user of burrow's config and one a client made (AMQP). */
async function loginsThatWork(amqpPort: number, api: ManagementApi): Promise<number> {
    let ok = 0;
    if (
        await get(api, "/api/whoami").then(
            () => true,
            () => false,
        )
    )
        ok++;
    for (const u of [APP, CLIENT]) {
        const c = await amqp.connect(`amqp://${u.name}:${u.password}@127.0.0.1:${amqpPort}`).catch(() => undefined);
        if (c) {
            ok++;
            await c.close();
        }
    }
    return ok;
}

const volumes = async (stack: string) =>
    (await docker(["volume", "ls", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Name}}"])).stdout
        .split("\n")
        .filter(Boolean)
        .sort();
const containersOf = async (stack: string) =>
    (await docker(["ps", "-a", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Names}}"])).stdout
        .split("\n")
        .filter(Boolean)
        .sort();

describe("a blue-green upgrade bookworm (3.10.8) -> trixie (4.0.5) with clients running", () => {
    let ts: TestStack;
    let amqpPort: number;
    let api: ManagementApi;
    let admin: string;
    beforeAll(async () => {
        ({ ts, amqpPort, api, admin } = await standUp("bluegreen"));
    });
    afterAll(async () => ts?.destroy());

    it("moves every message and user to a new broker on the same ports; the old one goes", async () => {
        const live = startTraffic({
            urls: [`amqp://${CLIENT.name}:${CLIENT.password}@127.0.0.1:${amqpPort}`],
            queue: "live",
            prefix: "live-",
            pauseMs: 5,
        });
        await new Promise((r) => setTimeout(r, 3000));
        await ts.stack.setConfig("burrow:debianRelease", { value: "trixie" });
        const from = ts.output.length;
        const t0 = Date.now();
        const up = await ts.up();
        const upSeconds = (Date.now() - t0) / 1000;
        const said = ts.output.slice(from).join("");
        await new Promise((r) => setTimeout(r, 3000));
        const traffic = await live.stop();
        const liveCount = accounting(traffic);
        const bulk = await drainBulk(admin);
        const stream = await readStream(admin);
        const shop = await drainShop(amqpPort);
        const logins = await loginsThatWork(amqpPort, api);
        const left = { containers: await containersOf(ts.name), volumes: await volumes(ts.name) };
        const moved = Object.values(bulk).reduce((n, r) => n + r.received, 0);

        console.log(
            `blue-green: up ${upSeconds} s, live ${JSON.stringify(liveCount)}, reconnects ${traffic.publisherReconnects}/${traffic.consumerReconnects}, gap ${traffic.longestConfirmGapMs} ms, stream ${JSON.stringify(stream)}, left ${JSON.stringify(left)}`,
        );
        recordFigure("upgrades.blue-green.published", COUNT * QUEUES.length);
        recordFigure("upgrades.blue-green.moved", moved, COUNT * QUEUES.length);
        recordFigure("upgrades.blue-green.lost", bulk["bulk-classic"].lost + bulk["bulk-quorum"].lost);
        recordFigure(
            "upgrades.blue-green.duplicated",
            bulk["bulk-classic"].duplicated + bulk["bulk-quorum"].duplicated,
        );
        recordFigure("upgrades.blue-green.live-published", liveCount.published);
        recordFigure("upgrades.blue-green.live-lost", liveCount.lost);
        recordFigure("upgrades.blue-green.live-duplicated", liveCount.duplicated);
        recordFigure("upgrades.blue-green.switch-over-seconds", Math.round(traffic.longestConfirmGapMs / 100) / 10);
        recordFigure("upgrades.blue-green.up-seconds", Math.round(upSeconds));
        recordFigure("upgrades.blue-green.stream-moved", stream.distinct, STREAM);
        recordFigure("upgrades.blue-green.logins-working", logins, 3);
        recordFigure("upgrades.blue-green.other-vhost-moved", shop.received, SHOP);

        expect(up.summary.result).toBe("succeeded");
        expect(said).toMatch(/burrow:debianRelease bookworm -> trixie: RabbitMQ 3\.10\.8 -> 4\.0\.5 is a new series/);
        expect(up.outputs.rabbitmqVersion.value).toMatch(/^4\.0\.5/);
        expect(up.outputs.smoke.value.ok).toBe(true);
        for (const q of QUEUES) expect(bulk[q]).toEqual({ received: COUNT, duplicated: 0, lost: 0, leftInQueue: 0 });
        expect(liveCount.lost).toBe(0);
        expect(liveCount.published).toBeGreaterThan(100);
        expect(stream).toMatchObject({ distinct: STREAM, inOrder: true });
        expect(shop).toEqual({ received: SHOP, duplicated: 0, lost: 0, leftInQueue: 0 });
        expect(logins).toBe(3);
        // The old broker is gone with its volume; the new one is generation -v4.0.
        expect(left.containers).toEqual([`burrow-${ts.name}-v4.0`]);
        expect(left.volumes).toEqual([`burrow-${ts.name}-v4.0-data`]);
    });

    it("then up changes nothing", async () => {
        expect(changesOf(await ts.up())).toEqual({});
    });
});

describe("a blue-green upgrade interrupted while the messages move", () => {
    let ts: TestStack;
    let admin: string;
    let amqpPort: number;
    beforeAll(async () => {
        ({ ts, admin, amqpPort } = await standUp("bgsigint"));
    });
    afterAll(async () => ts?.destroy());

    it("keeps the old broker and its volume; the next up finishes the move, nothing lost", async () => {
        await ts.stack.setConfig("burrow:debianRelease", { value: "trixie" });
        // The real CLI, stopped at once (Ctrl-C twice) when the move starts.
        const child = spawn("pulumi", ["up", "--yes", "--non-interactive", "--skip-preview", "--stack", ts.name], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let interrupted = false;
        const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
        const onData = (d: Buffer) => {
            out += d;
            if (!interrupted && /burrow-move (updating|creating)/.test(out)) {
                interrupted = true;
                child.kill("SIGINT");
                setTimeout(() => child.kill("SIGINT"), 300);
            }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        const killer = setTimeout(() => child.kill("SIGKILL"), 15 * 60_000);
        const code = await exited;
        clearTimeout(killer);
        ts.output.push(out);
        expect(interrupted, out.slice(-3000)).toBe(true);
        expect(code).not.toBe(0);
        const oldVolumeKept = (await volumes(ts.name)).includes(`burrow-${ts.name}-data`);
        // As the user's next `npm run up` does first: a second Ctrl-C may end the CLI before it
        // releases its lock (scripts/recover-state removes it only when its process is gone).
        const recovered = recoverState(ts);
        expect(recovered.status, recovered.stderr).toBe(0);
        console.log(
            `interrupted: containers ${JSON.stringify(await containersOf(ts.name))}, volumes ${JSON.stringify(await volumes(ts.name))}`,
        );

        const up = await ts.up();
        const bulk = await drainBulk(admin);
        const stream = await readStream(admin);
        const shop = await drainShop(amqpPort);
        recordFigure("upgrades.blue-green-interrupted.old-volume-kept", oldVolumeKept ? 1 : 0, 1);
        recordFigure("upgrades.blue-green-interrupted.lost", bulk["bulk-classic"].lost + bulk["bulk-quorum"].lost);
        recordFigure(
            "upgrades.blue-green-interrupted.duplicated",
            bulk["bulk-classic"].duplicated + bulk["bulk-quorum"].duplicated,
        );
        recordFigure("upgrades.blue-green-interrupted.stream-read", stream.total, STREAM);
        expect(oldVolumeKept).toBe(true);
        expect(up.summary.result).toBe("succeeded");
        for (const q of QUEUES) {
            expect(bulk[q].lost).toBe(0);
            expect(bulk[q].leftInQueue).toBe(0);
        }
        expect(stream.distinct).toBe(STREAM);
        expect(shop.lost).toBe(0);
        const networks = (
            await docker(["network", "ls", "--filter", `label=burrow.stack=${ts.name}`, "--format", "{{.Name}}"])
        ).stdout.trim();
        expect(networks).toBe(""); // the move network went with the old broker
        expect(await volumes(ts.name)).toEqual([`burrow-${ts.name}-v4.0-data`]);
        expect(changesOf(await ts.up())).toEqual({});
    });
});
