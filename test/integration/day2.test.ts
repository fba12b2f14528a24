// Day-2 operations an operator runs on one broker over months, each proven the same way:
// persistent messages published with confirms before the change, consumed after (to a count
// or a deadline, then the queue depth read), lost and duplicated counted; a second `up`
// reports no changes; refresh works; destroy works at the end. Rows: admin password rotated
// (twice), user password rotated, plugin added, memory limit changed (both replace the
// container), a queue argument changed without consent (refused, nothing lost), a queue type
// changed with consent, a topic permission's exchange changed, keepData destroy -> up.
import * as amqp from "amqplib";
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { FigureName } from "../figure-catalogue";
import { TestStack, changesOf, createTestStack, dockerLeftovers, freePort } from "./harness";
import { drain, publishConfirmed } from "./messages";
import { amqpConnectSpec } from "../../lib/urls";
import { execFileSync } from "child_process";
import { PROJECT_ROOT } from "./harness";
import type { BrokerDefinitionsOutputs } from "../../components/providers/broker-definitions";

/** The BrokerDefinitions outputs in the state, secrets decrypted (`pulumi stack export --show-secrets`). */
function definitionsState(): BrokerDefinitionsOutputs {
    const text = execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", ts.name], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...ts.env },
        encoding: "utf8",
    });
    const plain = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(plain)
            : v && typeof v === "object"
              ? "plaintext" in v
                  ? plain(JSON.parse((v as { plaintext: string }).plaintext))
                  : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
              : v;
    const r = JSON.parse(text).deployment.resources.find((x: { type: string }) => x.type.endsWith("BrokerDefinitions"));
    return plain(r.outputs) as BrokerDefinitionsOutputs;
}

const N = 300;
const seenText = () => ts.output.join("");
// The last looks like JSON (a list), as a generated password may: it is a password all the same.
const ADMIN = ["day2-Admin-pass-one", "day2-Admin-pass-two", '["day2-Admin-pass-3!@#"]'];
// An odd password, as users pick them: quotes, spaces, %, /, unicode.
const USER_PW = ["app pass 'one' %/ü", "app-pass-two-xxxxxx"];

const topology = (over: { ttl?: number; argType?: string; topicExchange?: string } = {}) => ({
    vhosts: ["shop"],
    queues: [
        { name: "ledger", type: "classic" },
        { name: "ledger-q", type: "quorum" },
        {
            name: "args",
            type: over.argType ?? "classic",
            arguments: over.argType === "quorum" ? {} : { "x-message-ttl": over.ttl ?? 3_600_000 },
        },
    ],
    exchanges: [
        { name: "events", vhost: "shop", type: "topic" },
        { name: "audit", vhost: "shop", type: "topic" },
    ],
    users: [
        {
            name: "app",
            password: USER_PW[0],
            permissions: [{ vhost: "shop" }],
            topicPermissions: [
                { vhost: "shop", exchange: "amq.topic", write: "^a\\.", read: ".*" },
                { vhost: "shop", exchange: over.topicExchange ?? "events", write: "^e\\.", read: ".*" },
            ],
        },
    ],
});

let ts: TestStack;
let amqpPort: number;
let managementPort: number;
let password = ADMIN[0];
const url = () => `amqp://admin:${encodeURIComponent(password)}@127.0.0.1:${amqpPort}`;
const api = () => ({ url: `http://127.0.0.1:${managementPort}`, username: "admin", password });
let next = 0;

/** Publishes N to each queue, runs `change`, drains and records the row; returns the counts. */
async function row(name: string, queues: string[], change: () => Promise<void>) {
    const from = next;
    next += N;
    const published: Record<string, number> = {};
    for (const q of queues) published[q] = await publishConfirmed(url(), q, N, from);
    await change();
    const result = { sent: 0, published: 0, received: 0, lost: 0, duplicated: 0, stray: 0, left: 0 };
    for (const q of queues) {
        const d = await drain(url(), q, N, from);
        result.published += published[q];
        result.sent += N;
        result.received += d.received;
        result.lost += d.lost;
        result.duplicated += d.duplicated;
        result.stray += d.stray;
        result.left += d.left;
    }
    const figure = (what: string) => `day2.${name}.${what}` as FigureName;
    recordFigure(figure("confirmed"), result.published, result.sent);
    recordFigure(figure("lost"), result.lost);
    recordFigure(figure("duplicated"), result.duplicated);
    recordFigure(figure("redelivered-earlier"), result.stray);
    recordFigure(figure("left"), result.left);
    return result;
}

/** Everything the CLI printed, stdout and stderr (warnings go to stderr). */
const printed = { onOutput: (o: string) => ts.output.push(o), onError: (o: string) => ts.output.push(o) };

async function up() {
    const r = await ts.stack.up(printed);
    expect(r.summary.result).toBe("succeeded");
    return r;
}
async function noChanges() {
    const again = await ts.stack.up(printed);
    expect(changesOf(again)).toEqual({});
}
/** The management API's counts lag by its statistics interval (5 s): wait until it shows `n` in `queue`. */
async function statsShow(queue: string, n: number) {
    for (let i = 0; i < 40; i++) {
        const q = await get<{ messages?: number }>(api(), `/api/queues/%2F/${encodeURIComponent(queue)}`);
        if ((q?.messages ?? 0) >= n) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the management API did not show ${n} messages in ${queue} within 20 s`);
}

const containerId = async () =>
    (await docker(["container", "inspect", "--format", "{{.Id}}", `burrow-${ts.name}`])).stdout.trim();

beforeAll(async () => {
    amqpPort = await freePort();
    managementPort = await freePort();
    ts = await createTestStack("day2", { amqpPort, managementPort, adminPassword: ADMIN[0], ...topology() });
    await up();
});
afterAll(async () => ts?.destroy());

describe("day-2 operations on one broker keep every message", () => {
    it("rotates the admin password twice; refresh and the API work after each", async () => {
        for (const next of ADMIN.slice(1)) {
            const r = await row(
                `admin-password-rotated-to-${ADMIN.indexOf(next)}`,
                ["ledger", "ledger-q"],
                async () => {
                    await ts.stack.setConfig("burrow:adminPassword", { value: next, secret: true });
                    await up();
                    password = next;
                },
            );
            expect(r).toMatchObject({ lost: 0, duplicated: 0, stray: 0, left: 0, received: 2 * N });
            expect(await get(api(), "/api/whoami")).toMatchObject({ name: "admin" });
            const old = await request({ ...api(), password: ADMIN[0] }, "GET", "/api/whoami", undefined, [401]);
            expect(old.status).toBe(401);
            const refresh = await ts.stack.refresh({ onOutput: (o) => ts.output.push(o) });
            expect(changesOf(refresh)).toEqual({});
            await noChanges();
        }
    });

    it("rotates a user's password (an odd one first): the new works, the old is refused", async () => {
        const userUrl = (pw: string) =>
            amqpConnectSpec(`amqp://app:${encodeURIComponent(pw)}@127.0.0.1:${amqpPort}/shop`);
        const c0 = await amqp.connect(userUrl(USER_PW[0]));
        await c0.close();
        const r = await row("user-password-rotated", ["ledger"], async () => {
            await ts.stack.setConfig("burrow:users", {
                value: JSON.stringify(topology().users.map((u) => ({ ...u, password: USER_PW[1] }))),
                secret: true,
            });
            await up();
        });
        expect(r).toMatchObject({ lost: 0, duplicated: 0 });
        const c1 = await amqp.connect(userUrl(USER_PW[1]));
        await c1.close();
        await expect(amqp.connect(userUrl(USER_PW[0]))).rejects.toThrow(/ACCESS_REFUSED|403/);
        await noChanges();
        await ts.stack.setConfig("burrow:users", { value: JSON.stringify(topology().users), secret: true });
        await up();
    });

    it("adds a plugin (a new container on the same data): nothing lost", async () => {
        const before = await containerId();
        const r = await row("plugin-added", ["ledger", "ledger-q"], async () => {
            await ts.stack.setConfig("burrow:plugins", { value: JSON.stringify(["rabbitmq_shovel"]) });
            await up();
        });
        expect(await containerId()).not.toBe(before);
        expect(r).toMatchObject({ lost: 0, duplicated: 0, stray: 0, left: 0, received: 2 * N });
        await noChanges();
    });

    it("changes the memory limit (a new container): nothing lost", async () => {
        const before = await containerId();
        const r = await row("memory-limit-changed", ["ledger", "ledger-q"], async () => {
            await ts.stack.setConfig("burrow:memoryLimitMb", { value: "768" });
            await up();
        });
        expect(await containerId()).not.toBe(before);
        expect(r).toMatchObject({ lost: 0, duplicated: 0, stray: 0, left: 0, received: 2 * N });
        await noChanges();
    });

    it("refuses a new amqpPort that another process holds, at preview and at up; the broker runs on, nothing lost", async () => {
        const before = await containerId();
        const taken = await freePort();
        const holder = net.createServer();
        await new Promise<void>((r) => holder.listen({ host: "127.0.0.1", port: taken }, r));
        const refusals: string[] = [];
        const r = await row("port-taken-refused", ["ledger", "ledger-q"], async () => {
            try {
                await ts.stack.setConfig("burrow:amqpPort", { value: String(taken) });
                for (const attempt of [() => ts.stack.preview(printed), () => ts.stack.up(printed)])
                    refusals.push(
                        await attempt().then(
                            () => "",
                            (e: Error) => String(e),
                        ),
                    );
            } finally {
                await ts.stack.setConfig("burrow:amqpPort", { value: String(amqpPort) });
                await new Promise((r) => holder.close(r));
            }
        });
        const running = (await containerId()) === before;
        recordFigure("day2.port-taken-refused.broker-kept-running", running ? 1 : 0, 1);
        for (const refusal of refusals)
            expect(refusal).toContain(
                `cannot publish port ${taken} on 127.0.0.1 (burrow:amqpPort): it is already in use`,
            );
        expect(running).toBe(true);
        expect(r).toMatchObject({ lost: 0, duplicated: 0, stray: 0, left: 0, received: 2 * N });
        await noChanges();
    });

    it("refuses a queue argument change without consent, and loses nothing", async () => {
        let refusal = "";
        const r = await row("queue-argument-changed-without-consent", ["args"], async () => {
            await statsShow("args", N);
            await ts.stack.setConfig("burrow:queues", { value: JSON.stringify(topology({ ttl: 60_000 }).queues) });
            const seen: string[] = [];
            refusal = await ts.stack.up({ onOutput: (o) => seen.push(o), onError: (o) => seen.push(o) }).then(
                () => "",
                (e: Error) => `${String(e)}\n${seen.join("")}`,
            );
        });
        recordFigure("day2.queue-argument-changed-without-consent.refused", refusal ? 1 : 0, 1);
        expect(refusal).toContain(
            `queue args: x-message-ttl 3600000 -> 60000: re-declaring it drops its ${N} messages`,
        );
        expect(r).toMatchObject({ lost: 0, duplicated: 0, received: N });
        await ts.stack.setConfig("burrow:queues", { value: JSON.stringify(topology().queues) });
        await noChanges();
    });

    it("changes a queue's type with consent: the loss is named and the smoke test passes", async () => {
        const from = next;
        next += N;
        const published = await publishConfirmed(url(), "args", N, from);
        await statsShow("args", N);
        await ts.stack.setConfig("burrow:queues", { value: JSON.stringify(topology({ argType: "quorum" }).queues) });
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["queue args"]) });
        const r = await up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        expect(seenText()).toMatch(
            new RegExp(
                `queue args: type classic -> quorum[^\\n]*: re-declaring it drops its ${N} messages \\(allowed by burrow:allowDataLoss\\)`,
            ),
        );
        const q = await get<{ type: string; messages: number }>(api(), "/api/queues/%2F/args");
        recordFigure("day2.queue-type-changed-with-consent.confirmed", published);
        recordFigure("day2.queue-type-changed-with-consent.lost-consented", published - (q?.messages ?? 0));
        expect(q?.type).toBe("quorum");
        expect(r.outputs.smoke.value.ok).toBe(true);
        await noChanges();
    });

    it("never deletes a queue that filled up after the preview counted it empty (the broker's if-empty guard)", async () => {
        // The provider's update, called directly on this broker as Pulumi would, with counts the
        // management API has not caught up with yet: the guard must refuse, and what was
        // already deleted must come back.
        const { brokerDefinitionsProvider } = await import("../../components/providers/broker-definitions");
        const olds = definitionsState();
        const from = next;
        next += N;
        const published = await publishConfirmed(url(), "ledger", N, from);
        const queues = { ...olds.queues };
        queues.ledger = JSON.stringify({
            ...JSON.parse(queues.ledger),
            arguments: { "x-queue-type": "classic", "x-max-length": 5 },
        });
        const err = await brokerDefinitionsProvider.update!("definitions", olds, {
            ...olds,
            queues,
            api: api(),
            allowDataLoss: [],
        }).then(
            () => "",
            (e: Error) => e.message,
        );
        expect(err).toMatch(/queue ledger/);
        expect(err).toContain("burrow:allowDataLoss");
        const d = await drain(url(), "ledger", N, from);
        recordFigure("day2.queue-filled-after-preview.confirmed", published);
        recordFigure("day2.queue-filled-after-preview.lost", d.lost);
        expect(d).toMatchObject({ lost: 0, duplicated: 0 });
        expect(await get(api(), "/api/queues/%2F/ledger")).toMatchObject({ arguments: { "x-queue-type": "classic" } });
        await noChanges();
    });

    it("changes one topic permission's exchange and keeps the user's other topic permissions", async () => {
        await ts.stack.setConfig("burrow:users", {
            value: JSON.stringify(topology({ topicExchange: "audit" }).users),
            secret: true,
        });
        await up();
        const perms = (await get<Array<{ exchange: string }>>(api(), "/api/topic-permissions/shop/app")) ?? [];
        const exchanges = perms.map((p) => p.exchange).sort();
        recordFigure("day2.topic-permission-changed.kept", exchanges.includes("amq.topic") ? 1 : 0, 1);
        expect(exchanges).toEqual(["amq.topic", "audit"]);
        await noChanges();
    });

    it("destroys after all that (credentials in the state are the current ones)", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await dockerLeftovers(ts.name)).toEqual([]);
    });
});

describe("keepData: destroy -> up keeps everything", () => {
    let kd: TestStack;
    let kUrl = "";
    afterAll(async () => {
        if (!kd) return;
        await kd.stack.setConfig("burrow:keepData", { value: "false" });
        await kd.stack.up({ onOutput: (o) => kd.output.push(o) }).catch(() => undefined);
        await kd.destroy();
    });

    it("keeps queues, messages, vhosts, users, permissions and policies", async () => {
        const amqpP = await freePort();
        const mgmt = await freePort();
        kd = await createTestStack("keepdata", {
            amqpPort: amqpP,
            managementPort: mgmt,
            adminPassword: "keep-Admin-password-1",
            keepData: true,
            ...topology(),
            policies: [{ name: "cap", vhost: "shop", pattern: "^x$", definition: { "max-length": 10 } }],
        });
        const first = await kd.stack.up({ onOutput: (o) => kd.output.push(o) });
        kUrl = first.outputs.amqpUrl.value;
        const published = (await publishConfirmed(kUrl, "ledger", N)) + (await publishConfirmed(kUrl, "ledger-q", N));
        const d = await kd.stack.destroy({ onOutput: (o) => kd.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        const left = await dockerLeftovers(kd.name);
        expect(left.filter((x) => x.endsWith("-data"))).toHaveLength(1); // the kept volume, nothing else running
        expect(left.filter((x) => !x.endsWith("-data") && !x.startsWith("burrow/"))).toEqual([]);

        const again = await kd.stack.up({ onOutput: (o) => kd.output.push(o) });
        expect(again.outputs.smoke.value.ok).toBe(true);
        const a = { url: `http://127.0.0.1:${mgmt}`, username: "admin", password: "keep-Admin-password-1" };
        const d1 = await drain(kUrl, "ledger", N);
        const d2 = await drain(kUrl, "ledger-q", N);
        recordFigure("day2.keepdata-destroy-up.confirmed", published, 2 * N);
        recordFigure("day2.keepdata-destroy-up.lost", d1.lost + d2.lost);
        recordFigure("day2.keepdata-destroy-up.duplicated", d1.duplicated + d2.duplicated);
        expect({ lost: d1.lost + d2.lost, duplicated: d1.duplicated + d2.duplicated }).toEqual({
            lost: 0,
            duplicated: 0,
        });
        expect(await get(a, "/api/vhosts/shop")).toMatchObject({ name: "shop" });
        expect(await get(a, "/api/users/app")).toMatchObject({ name: "app" });
        expect(await get(a, "/api/permissions/shop/app")).toMatchObject({ configure: ".*" });
        expect(await get(a, "/api/policies/shop/cap")).toMatchObject({ pattern: "^x$" });
        const again2 = await kd.stack.up({ onOutput: (o) => kd.output.push(o) });
        expect(changesOf(again2)).toEqual({});
    });
});
