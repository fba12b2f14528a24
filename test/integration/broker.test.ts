// The product, end to end: one `pulumi up` through the real CLI stands up a broker in
// real Docker; real amqplib traffic, the management API, the management UI in Chromium,
// the smoke script; a second up changes nothing; refresh finds no drift; a queue deleted on
// the broker comes back; a queue type change re-declares it with its binding; destroy leaves nothing.
import { UpResult } from "@pulumi/pulumi/automation";
import * as amqp from "amqplib";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, createTestStack, dockerLeftovers, freePort, changesOf } from "./harness";

const ADMIN_PASSWORD = "it-Secret-Pa55word-4b9abc";
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
            password: "reporter-pass-123",
            tags: ["monitoring"],
            permissions: [{ vhost: "shop", configure: "^$", write: "^$", read: "^orders$" }],
        },
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
    up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
    api = { url: `http://127.0.0.1:${managementPort}`, username: "admin", password: ADMIN_PASSWORD };
});

afterAll(async () => {
    await ts?.destroy();
});

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

    it("publishes its ports on 127.0.0.1 only", async () => {
        const { stdout } = await docker(["port", up.outputs.containerName.value]);
        const lines = stdout.trim().split("\n");
        expect(lines).toHaveLength(2);
        for (const l of lines) expect(l).toMatch(/-> 127\.0\.0\.1:\d+$/);
        recordFigure(
            "security.ports-published-beyond-127.0.0.1",
            lines.filter((l) => !/-> 127\.0\.0\.1:/.test(l)).length,
        );
    });

    it("carries real AMQP traffic with the admin credentials (the seed's producer and consumer)", async () => {
        const conn = await amqp.connect(up.outputs.amqpUrl.value);
        try {
            const ch = await conn.createConfirmChannel();
            await ch.assertQueue("hello", { durable: true });
            ch.sendToQueue("hello", Buffer.from("Hello World!"), { persistent: true });
            await ch.waitForConfirms();
            const msg = await new Promise<amqp.ConsumeMessage>((resolve) =>
                ch.consume("hello", (m) => m && resolve(m)),
            );
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
        expect(await get(api, "/api/users/guest")).toBeUndefined();
        const guest = await request(
            { ...api, username: "guest", password: "guest" },
            "GET",
            "/api/whoami",
            undefined,
            [401],
        );
        expect(guest.status).toBe(401);
        recordFigure("security.guest-login-refused", 1);
        await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort}`)).rejects.toThrow(/ACCESS_REFUSED|403/);
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

    it("refuses a user outside its permission patterns (AMQP 403)", async () => {
        const conn = await amqp.connect(`amqp://reporter:reporter-pass-123@127.0.0.1:${amqpPort}/shop`);
        conn.on("error", () => undefined);
        try {
            const ch = await conn.createChannel();
            ch.on("error", () => undefined);
            await expect(ch.assertQueue("not-mine", { durable: true })).rejects.toThrow(/ACCESS_REFUSED|403/);
            recordFigure("security.narrow-user-refused-outside-patterns", 1);
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
        const again = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(again)).toEqual({});
        const refresh = await ts.stack.refresh({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(refresh)).toEqual({});
    });

    it("re-creates on up what someone deleted on the broker (refresh sees it gone)", async () => {
        await request(api, "DELETE", "/api/queues/shop/orders");
        const refresh = await ts.stack.refresh({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(refresh)).toEqual({ update: 1 }); // the definitions lost "shop/orders"
        const r = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
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
        const refused = await ts.stack.preview({ diff: true }).then(
            () => "",
            (e: Error) => String(e),
        );
        expect(refused).toContain("queue shop/events-log: removed from the config: deleting it drops the stream's log");
        expect(refused).toContain(`config set burrow:allowDataLoss '["queue shop/events-log"]'`);
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["queue shop/events-log"]) });
        const preview = await ts.stack.preview({ diff: true });
        // One resource, but the diff names each object: the changed queue's type, the removed stream.
        expect(preview.stdout).toMatch(/~ tasks\s*:/);
        expect(preview.stdout).toMatch(/x-queue-type\s*: "classic" => "quorum"/);
        expect(preview.stdout).toMatch(/- shop\/events-log\s*:/);
        // The CLI prints warnings on stderr.
        expect(preview.stderr).toMatch(/queue shop\/events-log: .*\(allowed by burrow:allowDataLoss\)/);
        const r = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        await ts.stack.removeConfig("burrow:allowDataLoss");
        expect(r.summary.result).toBe("succeeded");
        expect(r.summary.resourceChanges?.replace ?? 0).toBe(0);
        expect(await get(api, "/api/queues/%2F/tasks")).toMatchObject({ type: "quorum" });
        expect(await get(api, "/api/queues/shop/events-log")).toBeUndefined();
        const b =
            (await get<Array<{ source: string; routing_key: string }>>(api, "/api/queues/%2F/tasks/bindings")) ?? [];
        expect(b.map((x) => [x.source, x.routing_key])).toContainEqual(["jobs", "task"]);
        expect(r.outputs.smoke.value.ok).toBe(true);
    });

    it("never shows the admin password in plain text in the state files or the CLI output", () => {
        // The backend's files as written (exportStack would decrypt them for us).
        const files = fs
            .readdirSync(ts.backendDir, { recursive: true, withFileTypes: true })
            .filter((f) => f.isFile())
            .map((f) => path.join(f.parentPath, f.name));
        expect(files.some((f) => f.endsWith(`${ts.name}.json`))).toBe(true);
        const leaks = files.filter((f) => fs.readFileSync(f, "utf8").includes(ADMIN_PASSWORD));
        const inOutput = ts.output.join("\n").includes(ADMIN_PASSWORD) ? 1 : 0;
        recordFigure("security.plain-text-secrets-found", leaks.length + inOutput);
        expect(leaks).toEqual([]);
        expect(inOutput).toBe(0);
    });

    it("leaves no container, volume or image tag behind on destroy", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await dockerLeftovers(ts.name)).toEqual([]);
    });
});
