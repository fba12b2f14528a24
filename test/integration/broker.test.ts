// The product, end to end: one `pulumi up` through the real CLI stands up a broker in
// real Docker; real amqplib traffic, the management API, the management UI in Chromium,
// the smoke script; a second up changes nothing; refresh finds no drift; a queue deleted on
// the broker comes back; a queue type change re-declares it with its binding, and an up after
// it changes nothing; every secret the stack holds is absent from its files and output;
// destroy leaves nothing. Security checks look from outside (the kernel's socket table,
// real logins) and count attempts, so each can fail.
import { UpResult } from "@pulumi/pulumi/automation";
import * as amqp from "amqplib";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { findLeaks, isLoopback } from "../proof-checks";
import { consumeOne } from "./amqp-helpers";
import { PROJECT_ROOT, TestStack, changesOf, cleanUp, createTestStack, dockerLeftovers, freePort } from "./harness";
import { hostListeners, placesToSearch } from "./probes";

const ADMIN_PASSWORD = "it-Secret-Pa55word-4b9abc";
const REPORTER_PASSWORD = "reporter-pass-123";
let ts: TestStack;
let up: UpResult;
let amqpPort: number;
let managementPort: number;
let api: { url: string; username: string; password: string };

const topology = (tasksType: "classic" | "quorum") => ({
    vhosts: ["shop"],
    queues: [
        {
            name: "tasks",
            type: tasksType,
            smoke: true,
            ...(tasksType === "classic" ? { arguments: { "x-message-ttl": 60000, "x-max-length": 1000 } } : {}),
        },
        { name: "orders", vhost: "shop", type: "quorum", arguments: { "x-delivery-limit": 3 } },
        { name: "events-log", vhost: "shop", type: "stream", arguments: { "x-max-age": "7D" } },
    ],
    exchanges: [
        { name: "jobs", type: "direct" },
        { name: "events", vhost: "shop", type: "topic" },
    ],
    bindings: [
        { source: "jobs", destination: "tasks", routingKey: "task" },
        { vhost: "shop", source: "events", destination: "orders", routingKey: "orders.#" },
    ],
    policies: [{ name: "tasks-cap", pattern: "^tasks$", definition: { "max-length-bytes": 10000000 } }],
    users: [
        {
            name: "reporter",
            password: REPORTER_PASSWORD,
            tags: ["monitoring"],
            permissions: [{ vhost: "shop", configure: "^$", write: "^$", read: "^orders$" }],
        },
        // No password: the stack generates one (output userPasswords), a secret like the others.
        { name: "auditor", tags: ["monitoring"] },
    ],
    adminPermissions: { vhost: "/" },
});

beforeAll(async () => {
    amqpPort = await freePort();
    managementPort = await freePort();
    ts = await createTestStack("broker", {
        amqpPort,
        managementPort,
        adminPassword: ADMIN_PASSWORD,
        ...topology("classic"),
    });
    up = await ts.up();
    api = { url: `http://127.0.0.1:${managementPort}`, username: "admin", password: ADMIN_PASSWORD };
});

afterAll(() => cleanUp(() => ts?.destroy()));

describe("pulumi up of a broker with a topology", () => {
    it("succeeds and keeps secrets secret", () => {
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.amqpUrl.secret).toBe(true);
        expect(up.outputs.adminPassword.secret).toBe(true);
        expect(up.outputs.managementUrl).toEqual({ value: `http://127.0.0.1:${managementPort}`, secret: false });
        expect(up.outputs.rabbitmqVersion.value).toMatch(/^4\.0\.5/);
        expect(up.outputs.erlangVersion.value).toMatch(/27\./);
        expect(up.outputs.smoke.value).toMatchObject({ ok: true, queues: ["burrow.smoke", "tasks"] });
    });

    it("listens on its ports on 127.0.0.1 only (the machine's socket table)", async () => {
        const ports = [amqpPort, managementPort];
        const listeners = hostListeners(ports);
        const beyond = listeners.filter((l) => !isLoopback(l.address));
        recordFigure("security.ports-beyond-loopback", beyond.length, ports.length);
        expect(beyond).toEqual([]);
        // Each port does listen (on loopback): the check above looked at the right sockets.
        for (const p of ports)
            expect(listeners.filter((l) => l.port === p).map((l) => l.address)).toContain("127.0.0.1");
        // Docker's own record agrees.
        const { stdout } = await docker(["port", up.outputs.containerName.value]);
        for (const l of stdout.trim().split("\n")) expect(l).toMatch(/-> 127\.0\.0\.1:\d+$/);
    });

    it("carries real AMQP traffic with the admin credentials (the seed's producer and consumer)", async () => {
        const conn = await amqp.connect(up.outputs.amqpUrl.value);
        try {
            const ch = await conn.createConfirmChannel();
            await ch.assertQueue("hello", { durable: true });
            ch.sendToQueue("hello", Buffer.from("Hello World!"), { persistent: true });
            await ch.waitForConfirms();
            const msg = await consumeOne(ch, "hello", 30_000);
            expect(msg.content.toString()).toBe("Hello World!");
            ch.ack(msg);
            await ch.deleteQueue("hello");
        } finally {
            await conn.close();
        }
    });

    it("publishes through the declared exchange and binding", async () => {
        const conn = await amqp.connect(up.outputs.amqpUrl.value);
        try {
            const ch = await conn.createConfirmChannel();
            ch.publish("jobs", "task", Buffer.from("via-binding"), { persistent: true });
            await ch.waitForConfirms();
            const got = await ch.get("tasks", { noAck: true });
            expect(got && got.content.toString()).toBe("via-binding");
        } finally {
            await conn.close();
        }
    });

    it("gives the admin the seed's tags and permissions, and removes guest", async () => {
        expect(await get(api, "/api/users/admin")).toMatchObject({ name: "admin", tags: ["administrator"] });
        expect(await get(api, "/api/permissions/%2F/admin")).toMatchObject({
            configure: ".*",
            write: ".*",
            read: ".*",
        });
        // Two real logins as guest/guest, each counted as refused only by the broker's own answer.
        const http = await request(
            { ...api, username: "guest", password: "guest" },
            "GET",
            "/api/whoami",
            undefined,
            [401],
        );
        const amqpLogin = await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort}`).then(
            async (c) => (await c.close(), "connected"),
            (e: Error) => e.message,
        );
        const refused = [http.status === 401, /ACCESS_REFUSED|403/.test(amqpLogin)].filter(Boolean).length;
        recordFigure("security.guest-refused", refused, 2);
        expect({ http: http.status, amqp: amqpLogin }).toMatchObject({
            http: 401,
            amqp: expect.stringMatching(/ACCESS_REFUSED|403/),
        });
        expect(await get(api, "/api/users/guest")).toBeUndefined();
    });

    it("declares every queue with its type and arguments, and the exchanges, bindings and policy", async () => {
        const tasks = await get<{ type: string; durable: boolean; arguments: Record<string, unknown> }>(
            api,
            "/api/queues/%2F/tasks",
        );
        expect(tasks).toMatchObject({
            type: "classic",
            durable: true,
            arguments: { "x-message-ttl": 60000, "x-max-length": 1000 },
        });
        expect(await get(api, "/api/queues/shop/orders")).toMatchObject({
            type: "quorum",
            arguments: { "x-delivery-limit": 3 },
        });
        expect(await get(api, "/api/queues/shop/events-log")).toMatchObject({
            type: "stream",
            arguments: { "x-max-age": "7D" },
        });
        expect(await get(api, "/api/exchanges/shop/events")).toMatchObject({ type: "topic", durable: true });
        const bindings =
            (await get<Array<{ destination: string; routing_key: string }>>(
                api,
                "/api/exchanges/shop/events/bindings/source",
            )) ?? [];
        expect(bindings.map((b) => [b.destination, b.routing_key])).toEqual([["orders", "orders.#"]]);
        expect(await get(api, "/api/policies/%2F/tasks-cap")).toMatchObject({
            pattern: "^tasks$",
            definition: { "max-length-bytes": 10000000 },
        });
    });

    it("refuses a user outside its permission patterns (AMQP 403), and allows what they grant", async () => {
        const conn = await amqp.connect(`amqp://reporter:${REPORTER_PASSWORD}@127.0.0.1:${amqpPort}/shop`);
        conn.on("error", () => undefined);
        try {
            // Each attempt on a fresh channel (a refusal closes the channel): configure, write, read.
            const attempt = async (what: (ch: amqp.Channel) => Promise<unknown>) => {
                const ch = await conn.createChannel();
                ch.on("error", () => undefined);
                const r = await what(ch).then(
                    () => "allowed",
                    (e: Error) => e.message,
                );
                await ch.close().catch(() => undefined);
                return r;
            };
            const outside = [
                await attempt((ch) => ch.assertQueue("not-mine", { durable: true })), // configure: ^$
                await attempt(async (ch) => {
                    ch.publish("amq.topic", "x", Buffer.from("no")); // write: ^$
                    await ch.checkExchange("amq.topic"); // the refusal arrives before this answer
                }),
                await attempt((ch) => ch.get("events-log")), // read: ^orders$ only
            ];
            const refused = outside.filter((r) => /ACCESS_REFUSED|403/.test(r)).length;
            recordFigure("security.narrow-user-refused", refused, outside.length);
            expect(
                outside.map((r) => /ACCESS_REFUSED|403/.test(r)),
                outside.join("; "),
            ).toEqual([true, true, true]);
            // The control: what the patterns grant works, so the refusals are the permissions at work.
            expect(await attempt((ch) => ch.get("orders", { noAck: true }))).toBe("allowed");
        } finally {
            await conn.close().catch(() => undefined);
        }
    });

    it("passes `npm run smoke -- --json`: exit 0 and a JSON line that says ok", () => {
        const r = spawnSync(
            "npm",
            ["run", "--silent", "smoke", "--", "--json", "--queue", "burrow.smoke", "--queue", "tasks"],
            {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                env: { ...process.env, BURROW_AMQP_URL: up.outputs.amqpUrl.value },
                timeout: 120_000,
            },
        );
        expect(r.status, r.stderr).toBe(0);
        const line = JSON.parse(r.stdout.trim().split("\n").pop()!);
        expect(line).toMatchObject({ ok: true, error: null });
        expect(line.steps.map((s: { step: string }) => s.step)).toEqual(
            expect.arrayContaining(["connect", "publish", "consume"]),
        );
    });

    it("serves the management UI, which accepts the admin login (headless Chromium)", async () => {
        const { chromium } = await import("playwright-core");
        const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
        expect(executablePath, "Chromium is installed by scripts/bootstrap --with-browser").toBeDefined();
        const browser = await chromium.launch({
            executablePath,
            args: [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
        try {
            const page = await browser.newPage();
            await page.goto(`${api.url}/`);
            await page.fill('input[name="username"]', "admin");
            await page.fill('input[name="password"]', ADMIN_PASSWORD);
            await page.click('input[type="submit"]');
            await page.waitForSelector("#logout", { timeout: 30_000 });
            // The page fills in after the login; wait for its heading rather than racing it.
            await page.waitForFunction("document.body.innerText.includes('Overview')", undefined, { timeout: 30_000 });
            const body = await page.innerText("body");
            expect(body).toContain("Overview");
            expect(body).toMatch(/User\s*admin/);
        } finally {
            await browser.close();
        }
    });

    it("reports no changes on a second up and no drift on refresh", async () => {
        const again = await ts.up();
        expect(changesOf(again)).toEqual({});
        const refresh = await ts.refresh();
        expect(changesOf(refresh)).toEqual({});
    });

    it("re-creates on up what someone deleted on the broker (refresh sees it gone)", async () => {
        await request(api, "DELETE", "/api/queues/shop/orders");
        const refresh = await ts.refresh();
        expect(changesOf(refresh)).toEqual({ update: 1 }); // the definitions lost "shop/orders"
        const r = await ts.up();
        expect(changesOf(r)).toEqual({ update: 1 });
        expect(await get(api, "/api/queues/shop/orders")).toMatchObject({ type: "quorum" });
        const b =
            (await get<Array<{ source: string; routing_key: string }>>(api, "/api/queues/shop/orders/bindings")) ?? [];
        expect(b.map((x) => [x.source, x.routing_key])).toContainEqual(["events", "orders.#"]);
    });

    it("declares again a queue whose type changed, re-creates its binding, deletes a removed queue, and names each in the preview", async () => {
        const next = topology("quorum");
        next.queues = next.queues.filter((q) => q.name !== "events-log");
        await ts.stack.setConfig("burrow:queues", { value: JSON.stringify(next.queues) });
        // Removing a stream drops its log: refused at preview, named, until consented.
        const refused = await ts.preview({ diff: true }).then(
            () => "",
            (e: Error) => String(e),
        );
        expect(refused).toContain("queue shop/events-log: removed from the config: deleting it drops the stream's log");
        expect(refused).toContain(`config set burrow:allowDataLoss '["queue shop/events-log"]'`);
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["queue shop/events-log"]) });
        const preview = await ts.preview({ diff: true });
        // One resource, but the diff names each object: the changed queue's type, the removed stream.
        expect(preview.stdout).toMatch(/~ tasks\s*:/);
        expect(preview.stdout).toMatch(/x-queue-type\s*: "classic" => "quorum"/);
        expect(preview.stdout).toMatch(/- shop\/events-log\s*:/);
        // The CLI prints warnings on stderr.
        expect(preview.stderr).toMatch(/queue shop\/events-log: .*\(allowed by burrow:allowDataLoss\)/);
        const r = await ts.up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        expect(r.summary.result).toBe("succeeded");
        expect(r.summary.resourceChanges?.replace ?? 0).toBe(0);
        expect(await get(api, "/api/queues/%2F/tasks")).toMatchObject({ type: "quorum" });
        expect(await get(api, "/api/queues/shop/events-log")).toBeUndefined();
        const b =
            (await get<Array<{ source: string; routing_key: string }>>(api, "/api/queues/%2F/tasks/bindings")) ?? [];
        expect(b.map((x) => [x.source, x.routing_key])).toContainEqual(["jobs", "task"]);
        expect(r.outputs.smoke.value.ok).toBe(true);
        // And the change is complete: the next up has nothing left to do.
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("never shows a secret it holds in plain text in the state files, the CLI output or the preview", async () => {
        const outputs = await ts.stack.outputs();
        const generated = outputs.userPasswords.value as Record<string, string>;
        expect(outputs.userPasswords.secret).toBe(true);
        expect(Object.keys(generated)).toContain("auditor");
        const container = outputs.containerName.value;
        const cookie = (await docker(["exec", container, "cat", "/var/lib/rabbitmq/.erlang.cookie"])).stdout.trim();
        expect(cookie.length).toBeGreaterThanOrEqual(16);
        // Secrets as the stack holds them: given in config, generated (read from its secret
        // outputs), and the cookie as the node has it. The preview's output is searched too.
        await ts.preview({ diff: true });
        const secrets = {
            "admin password": { value: ADMIN_PASSWORD },
            "reporter password": { value: REPORTER_PASSWORD },
            "auditor password (generated)": { value: generated.auditor },
            "Erlang cookie (generated)": { value: cookie },
        };
        const leaks = findLeaks(secrets, placesToSearch(ts));
        recordFigure("security.secrets-leaked", new Set(leaks.map((l) => l.secret)).size, Object.keys(secrets).length);
        expect(leaks).toEqual([]);
    });

    it("leaves no container, volume or image tag behind on destroy", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await dockerLeftovers(ts.name)).toEqual([]);
    });
});
