// Adopting a broker configured by hand, the way the seed tutorial does it (rabbitmqctl in
// the node, plus the HTTP API for queues, exchanges and bindings): `npm run export` writes a
// backup in RabbitMQ's own format (loaded into a bare node with `rabbitmqctl
// import_definitions`); `npm run import` writes the equivalent burrow:* config and names
// what it cannot express; the next up records the objects without changing the broker (its
// definitions are the same before and after, the shovel is not restarted), the one after
// reports no changes. The same import applied to a second, new burrow broker makes the same
// objects there, and a user made by hand on the first logs in to the second with its password.
import * as amqp from "amqplib";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../lib/definitions-plan";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { amqpConnectSpec } from "../../lib/urls";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, changesOf, createTestStack, freePort } from "./harness";

const A_ADMIN = "adopt-A-admin-pass";
const B_ADMIN = "adopt-B-admin-pass";
// ASCII: rabbitmqctl 4.0.5 reading a password from stdin mangles non-ASCII characters (seen here).
const CLERK_PASSWORD = "clerk made 'by hand' %/x";
const SHOVEL_PLUGINS = ["rabbitmq_shovel", "rabbitmq_shovel_management"];

let a: TestStack;
let b: TestStack;
const ports = { aAmqp: 0, aMgmt: 0, bAmqp: 0, bMgmt: 0 };
const aApi = () => ({ url: `http://127.0.0.1:${ports.aMgmt}`, username: "admin", password: A_ADMIN });
const bApi = () => ({ url: `http://127.0.0.1:${ports.bMgmt}`, username: "admin", password: B_ADMIN });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-adopt-"));
const exported = path.join(dir, "backup.json");
const bare = `burrow-it-adopt-bare-${Date.now().toString(36)}`;
const clerkOn = (port: number) =>
    amqpConnectSpec(`amqp://clerk:${encodeURIComponent(CLERK_PASSWORD)}@127.0.0.1:${port}/shop`);
const printed = (ts: TestStack) => ({
    onOutput: (o: string) => ts.output.push(o),
    onError: (o: string) => ts.output.push(o),
});

/** Runs an npm script as a person would, with the test stack's backend in the environment. */
function npm(ts: TestStack, args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("npm", ["run", "--silent", ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...ts.env, ...env },
        timeout: 180_000,
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** rabbitmqctl in A's node, as the seed tutorial runs it; `input` on stdin (a password). */
const ctl = (args: string[], input?: string) =>
    docker(["exec", ...(input ? ["-i"] : []), `burrow-${a.name}`, "rabbitmqctl", ...args], input ? { input } : {});

/** The definitions of the kinds burrow declares, in a stable order; the admin's own user and permissions left out. */
async function definitionsOf(api: ReturnType<typeof aApi>) {
    const d = (await get<Record<string, unknown[]>>(api, "/api/definitions"))!;
    // Key order is not meaning: the broker may return an imported map's keys in another order.
    const sorted = (xs: unknown[] | undefined) => (xs ?? []).map((x) => canonicalJson(x)).sort();
    const notAdmin = (xs: unknown[] | undefined) =>
        (xs ?? []).filter(
            (x) =>
                (x as { user?: string; name?: string }).user !== "admin" && (x as { name?: string }).name !== "admin",
        );
    return {
        vhosts: sorted(d.vhosts),
        users: sorted(notAdmin(d.users)),
        permissions: sorted(notAdmin(d.permissions)),
        topic_permissions: sorted(d.topic_permissions),
        parameters: sorted(d.parameters),
        global_parameters: sorted(
            (d.global_parameters ?? []).filter((g) => (g as { name: string }).name === "cluster_name"),
        ),
        policies: sorted(d.policies),
        queues: sorted(d.queues),
        exchanges: sorted(d.exchanges),
        bindings: sorted(d.bindings),
    };
}

beforeAll(async () => {
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    a = await createTestStack("adopt-a", {
        amqpPort: ports.aAmqp,
        managementPort: ports.aMgmt,
        adminPassword: A_ADMIN,
        plugins: SHOVEL_PLUGINS,
    });
    expect((await a.stack.up(printed(a))).summary.result).toBe("succeeded");

    // By hand, as the seed tutorial does: rabbitmqctl in the node...
    await ctl([
        "add_vhost",
        "shop",
        "--description",
        "the shop",
        "--tags",
        "prod,eu",
        "--default-queue-type",
        "quorum",
    ]);
    await ctl(["set_vhost_limits", "-p", "shop", '{"max-queues": 50}']);
    await ctl(["set_permissions", "-p", "shop", "admin", ".*", ".*", ".*"]);
    await ctl(["add_user", "clerk"], `${CLERK_PASSWORD}\n`);
    await ctl(["set_user_tags", "clerk", "monitoring"]);
    await ctl(["set_permissions", "-p", "shop", "clerk", ".*", ".*", ".*"]);
    await ctl(["set_topic_permissions", "-p", "shop", "clerk", "amq.topic", "^a\\.", ".*"]);
    await ctl(["set_user_limits", "clerk", '{"max-connections": 5}']);
    await ctl(["set_policy", "-p", "shop", "cap", "^orders$", '{"max-length": 5000}', "--apply-to", "queues"]);
    await ctl([
        "set_operator_policy",
        "-p",
        "shop",
        "opcap",
        ".*",
        '{"delivery-limit": 10}',
        "--apply-to",
        "quorum_queues",
    ]);
    await ctl(["set_cluster_name", "adopted-by-hand"]);
    // ...and the HTTP API for what rabbitmqctl does not declare.
    const api = aApi();
    await request(api, "PUT", "/api/queues/shop/orders", { durable: true, arguments: { "x-queue-type": "quorum" } });
    for (const q of ["orders-dlq", "orders-archive"])
        await request(api, "PUT", `/api/queues/shop/${q}`, { durable: true, arguments: { "x-queue-type": "classic" } });
    await request(api, "PUT", "/api/queues/%2F/odd", { durable: true, arguments: { "x-custom-thing": 1 } });
    await request(api, "PUT", "/api/exchanges/shop/events", { type: "topic", durable: true });
    await request(api, "POST", "/api/bindings/shop/e/events/q/orders", { routing_key: "orders.#" });
    await request(api, "PUT", "/api/exchanges/shop/invoices", {
        type: "direct",
        durable: true,
        arguments: { "x-super-stream": true },
    });
    for (const i of [0, 1]) {
        await request(api, "PUT", `/api/queues/shop/invoices-${i}`, {
            durable: true,
            arguments: { "x-queue-type": "stream" },
        });
        await request(api, "POST", `/api/bindings/shop/e/invoices/q/invoices-${i}`, {
            routing_key: String(i),
            arguments: { "x-stream-partition-order": i },
        });
    }
    await ctl([
        "set_parameter",
        "-p",
        "shop",
        "shovel",
        "tidy",
        '{"src-uri": "amqp:///shop", "src-queue": "orders-dlq", "dest-uri": "amqp:///shop", "dest-queue": "orders-archive"}',
    ]);
});

afterAll(async () => {
    await docker(["rm", "-f", bare]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await b?.destroy().catch(() => undefined);
    await a?.destroy();
});

describe("npm run export", () => {
    it("writes the broker's definitions in RabbitMQ's format, readable by the owner only; a bare node loads them", async () => {
        const r = npm(a, ["export", "--", exported, "--stack", a.name]);
        expect(r.status, r.out).toBe(0);
        expect(fs.statSync(exported).mode & 0o777).toBe(0o600);
        const defs = JSON.parse(fs.readFileSync(exported, "utf8"));
        expect(defs.rabbit_version).toMatch(/^4\.0/);
        expect(defs.queues.map((q: { name: string }) => q.name)).toEqual(
            expect.arrayContaining(["orders", "invoices-0", "odd"]),
        );
        // "Anywhere": a node of the same image that burrow does not manage.
        const image = `burrow/rabbitmq:${a.name}`;
        await docker(["run", "-d", "--name", bare, "--label", "burrow.test=adopt", image]);
        // The node takes a few seconds to register with epmd; await_startup fails until it has.
        for (let i = 0; ; i++) {
            const ok = await docker(["exec", bare, "rabbitmqctl", "await_startup", "--timeout", "60"], {
                timeoutMs: 90_000,
            }).then(
                () => true,
                () => false,
            );
            if (ok) break;
            if (i > 60) throw new Error(`${bare} did not start`);
            await new Promise((r) => setTimeout(r, 1000));
        }
        await docker(["cp", exported, `${bare}:/tmp/backup.json`]);
        await docker(["exec", bare, "chown", "rabbitmq", "/tmp/backup.json"]);
        await docker(["exec", bare, "rabbitmqctl", "import_definitions", "/tmp/backup.json"], { timeoutMs: 120_000 });
        const listed = (
            await docker([
                "exec",
                bare,
                "rabbitmqctl",
                "-q",
                "list_queues",
                "--no-table-headers",
                "-p",
                "shop",
                "name",
                "type",
            ])
        ).stdout;
        const loaded = listed
            .trim()
            .split("\n")
            .map((l) => l.trim().split(/\s+/).join(":"))
            .sort();
        recordFigure("adopt.export-loaded-queues", loaded.length);
        expect(loaded).toEqual([
            "invoices-0:stream",
            "invoices-1:stream",
            "orders-archive:classic",
            "orders-dlq:classic",
            "orders:quorum",
        ]);
        const shovels = (await docker(["exec", bare, "rabbitmqctl", "-q", "list_parameters", "-p", "shop"])).stdout;
        expect(shovels).toContain("tidy");
    });
});

describe("npm run import", () => {
    let before: Awaited<ReturnType<typeof definitionsOf>>;
    let shovelSince = "";

    it("writes the equivalent burrow:* config and names what it cannot express", async () => {
        // The hand-made user logs in on the broker it was made on (the control for the copy below).
        const c = await amqp.connect(clerkOn(ports.aAmqp));
        await c.close();
        const r = npm(
            a,
            ["import", "--", "--url", `http://127.0.0.1:${ports.aMgmt}`, "--user", "admin", "--stack", a.name],
            {
                BURROW_IMPORT_PASSWORD: A_ADMIN,
            },
        );
        expect(r.status, r.out).toBe(0);
        expect(r.out).toMatch(/queue odd: `burrow:queues\[\d\]\.arguments\.x-custom-thing`|queue odd: `queues\[\d\]/);
        expect(r.out).toContain("burrow:users: 1 (secret)");
        expect(r.out).toContain("burrow:adminUser: 1");
        expect(r.out).toContain("burrow:superStreams: 1");
        expect(r.out).not.toContain(A_ADMIN);
        const cfg = await a.stack.getAllConfig();
        expect(cfg["burrow:adminUser"].value).toBe("admin");
        expect(JSON.parse(cfg["burrow:superStreams"].value)).toEqual([
            { name: "invoices", vhost: "shop", partitions: 2 },
        ]);
        expect(cfg["burrow:users"].secret).toBe(true);
        recordFigure("adopt.objects-not-expressed", (r.out.match(/^\s+- /gm) ?? []).length);
    });

    it("the next up records the objects without changing the broker; the one after reports no changes", async () => {
        before = await definitionsOf(aApi());
        shovelSince =
            (await get<Array<{ name: string; timestamp: string }>>(aApi(), "/api/shovels/shop"))?.[0]?.timestamp ?? "";
        expect(shovelSince).not.toBe("");
        const r = await a.stack.up(printed(a));
        expect(r.summary.result).toBe("succeeded");
        const changes = changesOf(r);
        expect([changes.create ?? 0, changes.delete ?? 0, changes.replace ?? 0]).toEqual([0, 0, 0]);
        const after = await definitionsOf(aApi());
        const changedKinds = Object.keys(before).filter(
            (k) => JSON.stringify(before[k as keyof typeof before]) !== JSON.stringify(after[k as keyof typeof after]),
        );
        recordFigure("adopt.kinds-changed-on-the-broker-by-adopting", changedKinds.length);
        expect(after).toEqual(before);
        const shovelNow = (await get<Array<{ timestamp: string }>>(aApi(), "/api/shovels/shop"))?.[0]?.timestamp;
        expect(shovelNow).toBe(shovelSince);
        const again = await a.stack.up(printed(a));
        expect(changesOf(again)).toEqual({});
        const refresh = await a.stack.refresh(printed(a));
        expect(changesOf(refresh)).toEqual({});
    });

    it("applied to a second, new burrow broker, makes the same objects; the hand-made user logs in there", async () => {
        b = await createTestStack("adopt-b", {
            amqpPort: ports.bAmqp,
            managementPort: ports.bMgmt,
            adminPassword: B_ADMIN,
        });
        const r = npm(
            b,
            ["import", "--", "--url", `http://127.0.0.1:${ports.aMgmt}`, "--user", "admin", "--stack", b.name],
            {
                BURROW_IMPORT_PASSWORD: A_ADMIN,
            },
        );
        expect(r.status, r.out).toBe(0);
        expect((await b.stack.up(printed(b))).summary.result).toBe("succeeded");
        const onA = await definitionsOf(aApi());
        const onB = await definitionsOf(bApi());
        // The queue burrow could not express (and its absence) is the one difference.
        expect(onB.queues).toEqual(onA.queues.filter((q) => !q.includes('"name":"odd"')));
        for (const k of [
            "vhosts",
            "users",
            "permissions",
            "topic_permissions",
            "parameters",
            "global_parameters",
            "policies",
            "exchanges",
            "bindings",
        ] as const)
            expect(onB[k], k).toEqual(onA[k]);
        const conn = await amqp.connect(clerkOn(ports.bAmqp));
        await conn.close();
        recordFigure("adopt.hand-made-user-logs-in-on-the-copy", 1);
        expect(changesOf(await b.stack.up(printed(b)))).toEqual({});
    });
});
