// Shovels on real brokers, counted: 1,000 persistent messages moved between two vhosts of
// one broker (the first shovel enables rabbitmq_shovel: a new container on the same data),
// then 1,000 over AMQP 0-9-1 and 1,000 over AMQP 1.0 from one burrow broker to another,
// reached by container name on a Docker network this test makes. Each shovel's status is
// read back after up (running, or why not); a wrong password shows as not running; the
// destination's password never appears in the state or the output. Then the life of a
// shovel: changed, deleted on the broker (refresh sees it, up sets it again), a one-shot
// shovel that deletes itself (no drift), an ack-mode no-ack shovel whose removal is refused
// without consent, and removal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as path from "path";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { drain, publishConfirmed } from "./messages";

const N = 1000;
const A_ADMIN = "shovel-A-admin-pass";
const B_ADMIN = "shovel-B-admin-pass";
const MOVER_PASSWORD = "mover-Secret-pass-7";

let a: TestStack;
let b: TestStack;
const ports = { aAmqp: 0, aMgmt: 0, bAmqp: 0, bMgmt: 0 };
const net = `burrow-it-shovels-${Date.now().toString(36)}`;
const aApi = () => ({ url: `http://127.0.0.1:${ports.aMgmt}`, username: "admin", password: A_ADMIN });
const aUrl = (vhost = "") => `amqp://admin:${A_ADMIN}@127.0.0.1:${ports.aAmqp}${vhost ? `/${vhost}` : ""}`;
const bUrl = () => `amqp://admin:${B_ADMIN}@127.0.0.1:${ports.bAmqp}`;
/** B as A's container reaches it: by container name on the test's network. */
const bFromA = (password = MOVER_PASSWORD) => `amqp://mover:${encodeURIComponent(password)}@burrow-${b.name}:5672`;

const printed = (ts: TestStack) => ({
    onOutput: (o: string) => ts.output.push(o),
    onError: (o: string) => ts.output.push(o),
});
async function up(ts: TestStack) {
    const r = await ts.stack.up(printed(ts));
    expect(r.summary.result).toBe("succeeded");
    return r;
}
async function noChanges(ts: TestStack) {
    expect(changesOf(await ts.stack.up(printed(ts)))).toEqual({});
}
async function setShovels(shovels: unknown[]) {
    await a.stack.setConfig("burrow:shovels", { value: JSON.stringify(shovels), secret: true });
}
const toB = (over: Record<string, unknown> = {}) => ({
    name: "to-b",
    source: { queue: "outbox" },
    destination: { uri: bFromA(), queue: "inbox" },
    ...over,
});
const toB10 = () => ({
    name: "to-b-10",
    source: { queue: "outbox10" },
    destination: { protocol: "amqp10", uri: bFromA(), address: "/queues/inbox10" },
});
const between = {
    name: "between",
    vhost: "in",
    source: { queue: "orders" },
    destination: { uri: "amqp:///out", queue: "orders" },
};

/** The management API's counts lag by a few seconds: wait until a queue shows `n` messages. */
async function depth(api: ReturnType<typeof aApi>, vhost: string, queue: string, n: number): Promise<number> {
    let seen = -1;
    for (let i = 0; i < 60; i++) {
        seen =
            (await get<{ messages?: number }>(api, `/api/queues/${encodeURIComponent(vhost)}/${queue}`))?.messages ?? 0;
        if (seen === n) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    return seen;
}

beforeAll(async () => {
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    b = await createTestStack("shovel-b", {
        amqpPort: ports.bAmqp,
        managementPort: ports.bMgmt,
        adminPassword: B_ADMIN,
        queues: ["inbox", "inbox10"],
        users: [{ name: "mover", password: MOVER_PASSWORD, permissions: [{ vhost: "/" }] }],
    });
    await up(b);
    a = await createTestStack("shovel-a", {
        amqpPort: ports.aAmqp,
        managementPort: ports.aMgmt,
        adminPassword: A_ADMIN,
        vhosts: ["in", "out"],
        adminPermissions: { vhost: "/" },
        queues: ["outbox", "outbox10", "parked", { name: "orders", vhost: "in" }, { name: "orders", vhost: "out" }],
    });
    await up(a);
});

afterAll(async () => {
    await docker(["network", "rm", net]).catch(() => undefined);
    await a?.destroy().catch(() => undefined);
    await b?.destroy();
    await docker(["network", "rm", net]).catch(() => undefined);
});

describe("shovels move every message", () => {
    it(`moves ${N} messages between two vhosts of one broker (the first shovel enables the plugin)`, async () => {
        const published = await publishConfirmed(aUrl("in"), "orders", N);
        await setShovels([between]);
        const r = await up(a);
        expect(r.outputs.links.value).toEqual({ "shovel in/between": "running" });
        const d = await drain(aUrl("out"), "orders", N);
        const left = await depth(aApi(), "in", "orders", 0);
        recordFigure("shovels.vhost-to-vhost.published", published);
        recordFigure("shovels.vhost-to-vhost.moved", d.received);
        recordFigure("shovels.vhost-to-vhost.lost", d.lost);
        recordFigure("shovels.vhost-to-vhost.duplicated", d.duplicated);
        expect(published).toBe(N);
        expect(d).toMatchObject({ received: N, lost: 0, duplicated: 0, left: 0 });
        expect(left).toBe(0);
        await noChanges(a);
    });

    it(`moves ${N} messages to another burrow broker over AMQP 0-9-1 and ${N} over AMQP 1.0`, async () => {
        await docker(["network", "create", "--label", "burrow.test=shovels", net]);
        for (const ts of [a, b]) await docker(["network", "connect", net, `burrow-${ts.name}`]);
        const p091 = await publishConfirmed(aUrl(), "outbox", N);
        const p10 = await publishConfirmed(aUrl(), "outbox10", N, N);
        await setShovels([between, toB(), toB10()]);
        const r = await up(a);
        expect(r.outputs.links.value).toEqual({
            "shovel in/between": "running",
            "shovel to-b": "running",
            "shovel to-b-10": "running",
        });
        const d091 = await drain(bUrl(), "inbox", N);
        const d10 = await drain(bUrl(), "inbox10", N, N);
        recordFigure("shovels.broker-to-broker.amqp091.published", p091);
        recordFigure("shovels.broker-to-broker.amqp091.moved", d091.received);
        recordFigure("shovels.broker-to-broker.amqp091.lost", d091.lost);
        recordFigure("shovels.broker-to-broker.amqp091.duplicated", d091.duplicated);
        recordFigure("shovels.broker-to-broker.amqp10.published", p10);
        recordFigure("shovels.broker-to-broker.amqp10.moved", d10.received);
        recordFigure("shovels.broker-to-broker.amqp10.lost", d10.lost);
        recordFigure("shovels.broker-to-broker.amqp10.duplicated", d10.duplicated);
        expect([p091, p10]).toEqual([N, N]);
        expect(d091).toMatchObject({ received: N, lost: 0, duplicated: 0, left: 0 });
        expect(d10).toMatchObject({ received: N, lost: 0, duplicated: 0, left: 0 });
        await noChanges(a);
        const refresh = await a.stack.refresh(printed(a));
        expect(changesOf(refresh)).toEqual({});
    });

    it("keeps the destination's password out of the state and the output", () => {
        const files = fs
            .readdirSync(a.backendDir, { recursive: true, withFileTypes: true })
            .filter((f) => f.isFile())
            .map((f) => path.join(f.parentPath, f.name));
        const leaks = files.filter((f) => fs.readFileSync(f, "utf8").includes(MOVER_PASSWORD)).length;
        const inOutput = a.output.join("").includes(MOVER_PASSWORD) ? 1 : 0;
        recordFigure("shovels.uri-password-in-plain-text", leaks + inOutput);
        expect(leaks + inOutput).toBe(0);
    });

    it("says a shovel with a wrong password is not running, and a fixed one runs", async () => {
        await setShovels([between, toB({ destination: { uri: bFromA("wrong-password-x"), queue: "inbox" } }), toB10()]);
        const r = await up(a);
        expect(r.outputs.links.value["shovel to-b"]).toMatch(/^not running/);
        expect(a.output.join("")).toMatch(/shovel to-b: not running/);
        await setShovels([between, toB(), toB10()]);
        const fixed = await up(a);
        expect(fixed.outputs.links.value["shovel to-b"]).toBe("running");
    });
});

describe("a shovel's life", () => {
    it("changes a shovel in place (its destination queue), naming it in the preview", async () => {
        await setShovels([between, toB({ destination: { uri: bFromA(), queue: "inbox10" } }), toB10()]);
        const preview = await a.stack.preview({ diff: true });
        expect(preview.stdout).toMatch(/~ to-b\s*:/);
        // The preview shows the URI with its password masked.
        expect(preview.stdout).toContain(`mover:***@burrow-${b.name}:5672`);
        expect(preview.stdout + preview.stderr).not.toContain(MOVER_PASSWORD);
        await up(a);
        const p = await get<{ value: Record<string, unknown> }>(aApi(), "/api/parameters/shovel/%2F/to-b");
        expect(p?.value["dest-queue"]).toBe("inbox10");
        await noChanges(a);
    });

    it("sets again on up a shovel deleted on the broker (refresh sees it)", async () => {
        await request(aApi(), "DELETE", "/api/parameters/shovel/%2F/to-b");
        const refresh = await a.stack.refresh(printed(a));
        expect(changesOf(refresh)).toEqual({ update: 1 });
        const r = await up(a);
        expect(r.outputs.links.value["shovel to-b"]).toBe("running");
        expect(await get(aApi(), "/api/parameters/shovel/%2F/to-b")).toBeDefined();
        await noChanges(a);
    });

    it("runs a one-shot shovel once: it deletes itself, and that is not drift", async () => {
        const published = await publishConfirmed(aUrl(), "parked", 200, 5000);
        await depth(aApi(), "/", "parked", 200);
        const once = {
            name: "once",
            source: { queue: "parked" },
            destination: { queue: "outbox" },
            deleteAfter: "queue-length",
        };
        await setShovels([between, toB(), toB10(), once]);
        const r = await up(a);
        expect(r.outputs.links.value["shovel once"]).toMatch(/^(completed|running)/);
        const moved = await drain(bUrl(), "inbox", 200, 5000);
        recordFigure("shovels.one-shot.published", published);
        recordFigure("shovels.one-shot.moved", moved.received);
        expect(moved).toMatchObject({ received: 200, lost: 0, duplicated: 0 });
        for (let i = 0; i < 40 && (await get(aApi(), "/api/parameters/shovel/%2F/once")) !== undefined; i++)
            await new Promise((res) => setTimeout(res, 500));
        expect(await get(aApi(), "/api/parameters/shovel/%2F/once")).toBeUndefined();
        const refresh = await a.stack.refresh(printed(a));
        expect(changesOf(refresh)).toEqual({});
        await noChanges(a);
    });

    it("refuses to remove a no-ack shovel without consent (it drops what is in flight), then removes it", async () => {
        const risky = {
            name: "risky",
            source: { queue: "parked" },
            destination: { queue: "outbox" },
            ackMode: "no-ack",
        };
        await setShovels([between, toB(), toB10(), risky]);
        await up(a);
        await setShovels([between, toB(), toB10()]);
        const refused = await a.stack.preview({ diff: true }).then(
            () => "",
            (e: Error) => String(e),
        );
        recordFigure("shovels.no-ack-removal-refused", refused ? 1 : 0);
        expect(refused).toContain(
            "shovel risky: removed from the config: deleting it while it runs with ack-mode no-ack",
        );
        expect(refused).toContain(`config set burrow:allowDataLoss '["shovel risky"]'`);
        await a.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["shovel risky"]) });
        await up(a);
        await a.stack.removeConfig("burrow:allowDataLoss");
        expect(await get(aApi(), "/api/parameters/shovel/%2F/risky")).toBeUndefined();
        await noChanges(a);
    });

    it("removes shovels removed from the config", async () => {
        await setShovels([between]);
        const r = await up(a);
        expect(r.outputs.links.value).toEqual({ "shovel in/between": "running" });
        for (const name of ["to-b", "to-b-10"])
            expect(await get(aApi(), `/api/parameters/shovel/%2F/${name}`)).toBeUndefined();
        await noChanges(a);
    });
});
