// Issue 15's objects on one real broker, each kind through its life: created, changed (the
// preview names it), deleted on the broker behind burrow's back (refresh sees it, up sets it
// again), removed from the config; a second up after each step reports no changes. Kinds:
// vhosts with metadata and limits, users with limits and an imported password hash,
// operator policies (and the data-loss refusal of one that would trim a queue), super
// streams (removing one is a stream removal: refused without consent), cluster_name.
import * as amqp from "amqplib";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rabbitPasswordHash } from "../../lib/boot-definitions";
import { get, request } from "../../lib/management-client";
import { amqpConnectSpec } from "../../lib/urls";
import { recordFigure } from "../figures";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { publishConfirmed } from "./messages";

const ADMIN_PASSWORD = "objects-Admin-pass-1";
const APP_PASSWORD = "app pass 'hashed' %/ü";
const APP_HASH = rabbitPasswordHash(APP_PASSWORD);

let ts: TestStack;
let amqpPort: number;
let managementPort: number;
const api = () => ({ url: `http://127.0.0.1:${managementPort}`, username: "admin", password: ADMIN_PASSWORD });
const printed = { onOutput: (o: string) => ts.output.push(o), onError: (o: string) => ts.output.push(o) };

interface Shape {
    description?: string;
    vhostLimits?: Record<string, number>;
    userLimits?: Record<string, number>;
    capLength?: number;
    partitions?: number;
    clusterName?: string;
}
const BASE: Shape = {
    description: "the shop",
    vhostLimits: { "max-connections": 10, "max-queues": 20 },
    userLimits: { "max-connections": 3, "max-channels": 5 },
    capLength: 1000,
    partitions: 2,
    clusterName: "it-objects",
};

function config(s: Shape) {
    return {
        vhosts: [
            "legacy",
            {
                name: "shop",
                ...(s.description !== undefined ? { description: s.description, tags: ["prod", "eu"] } : {}),
                defaultQueueType: "quorum",
                ...(s.vhostLimits ? { limits: s.vhostLimits } : {}),
            },
        ],
        users: [
            {
                name: "app",
                passwordHash: APP_HASH,
                permissions: [{ vhost: "shop" }],
                ...(s.userLimits ? { limits: s.userLimits } : {}),
            },
        ],
        queues: ["backlog"],
        operatorPolicies:
            s.capLength === undefined
                ? []
                : [
                      {
                          name: "cap",
                          vhost: "shop",
                          pattern: ".*",
                          priority: 1,
                          definition: { "max-length": s.capLength },
                      },
                  ],
        superStreams:
            s.partitions === undefined
                ? []
                : [{ name: "invoices", vhost: "shop", partitions: s.partitions, arguments: { "x-max-age": "1D" } }],
        globalParameters: s.clusterName === undefined ? {} : { cluster_name: s.clusterName },
    };
}

async function apply(s: Shape) {
    for (const [k, v] of Object.entries(config(s)))
        await ts.stack.setConfig(`burrow:${k}`, { value: JSON.stringify(v), secret: k === "users" });
}
async function up() {
    const r = await ts.stack.up(printed);
    expect(r.summary.result).toBe("succeeded");
    return r;
}
async function noChanges() {
    const again = await ts.stack.up(printed);
    expect(changesOf(again)).toEqual({});
}

/** What the broker holds of the kinds under test, as the management API shows it. */
async function onBroker() {
    const vhost = await get<{ description: string; tags: string[]; default_queue_type: string }>(
        api(),
        "/api/vhosts/shop",
    );
    const vl = await get<Array<{ value: Record<string, number> }>>(api(), "/api/vhost-limits/shop");
    const ul = await get<Array<{ value: Record<string, number> }>>(api(), "/api/user-limits/app");
    const cap = await get<{ definition: Record<string, number> }>(api(), "/api/operator-policies/shop/cap");
    const queues =
        (await get<Array<{ name: string; type: string }>>(api(), "/api/queues/shop?columns=name,type")) ?? [];
    const exchange = await get<{ arguments: Record<string, unknown> }>(api(), "/api/exchanges/shop/invoices");
    const bindings =
        (await get<Array<{ destination: string; routing_key: string; arguments: Record<string, unknown> }>>(
            api(),
            "/api/exchanges/shop/invoices/bindings/source",
        )) ?? [];
    const cluster = await get<{ value: string }>(api(), "/api/global-parameters/cluster_name");
    return {
        description: vhost?.description,
        tags: vhost?.tags,
        defaultQueueType: vhost?.default_queue_type,
        vhostLimits: vl?.[0]?.value ?? {},
        userLimits: ul?.[0]?.value ?? {},
        capLength: cap?.definition?.["max-length"],
        partitions: queues
            .filter((q) => q.name.startsWith("invoices-"))
            .map((q) => `${q.name}:${q.type}`)
            .sort(),
        superStreamExchange: exchange?.arguments,
        bindings: bindings.map((b) => `${b.destination}<-${b.routing_key} ${JSON.stringify(b.arguments)}`).sort(),
        clusterName: cluster?.value,
    };
}

const partitions = (n: number) => Array.from({ length: n }, (_, i) => `invoices-${i}:stream`);

beforeAll(async () => {
    amqpPort = await freePort();
    managementPort = await freePort();
    ts = await createTestStack("objects", { amqpPort, managementPort, adminPassword: ADMIN_PASSWORD });
    await apply(BASE);
    await up();
});
afterAll(async () => ts?.destroy());

describe("issue 15's objects through their life on one broker", () => {
    it("creates each as declared, and a second up changes nothing", async () => {
        expect(await onBroker()).toEqual({
            description: "the shop",
            tags: ["prod", "eu"],
            defaultQueueType: "quorum",
            vhostLimits: { "max-connections": 10, "max-queues": 20 },
            userLimits: { "max-connections": 3, "max-channels": 5 },
            capLength: 1000,
            partitions: partitions(2),
            superStreamExchange: { "x-super-stream": true },
            bindings: ['invoices-0<-0 {"x-stream-partition-order":0}', 'invoices-1<-1 {"x-stream-partition-order":1}'],
            clusterName: "it-objects",
        });
        await noChanges();
        const refresh = await ts.stack.refresh(printed);
        expect(changesOf(refresh)).toEqual({});
    });

    it("imports the user by its hash: the password it was made from logs in, nobody told burrow the password", async () => {
        const conn = await amqp.connect(
            amqpConnectSpec(`amqp://app:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${amqpPort}/shop`),
        );
        try {
            // The vhost's default queue type applies to a queue declared without one.
            const ch = await conn.createChannel();
            await ch.assertQueue("declared-by-app", { durable: true });
            expect(await get(api(), "/api/queues/shop/declared-by-app")).toMatchObject({ type: "quorum" });
            await ch.deleteQueue("declared-by-app");
        } finally {
            await conn.close();
        }
        // The hash is a secret: never in the state files or the CLI output.
        const files = fs
            .readdirSync(ts.backendDir, { recursive: true, withFileTypes: true })
            .filter((f) => f.isFile())
            .map((f) => path.join(f.parentPath, f.name));
        const leaks = files.filter((f) => fs.readFileSync(f, "utf8").includes(APP_HASH)).length;
        const inOutput = ts.output.join("").includes(APP_HASH) ? 1 : 0;
        recordFigure("objects.password-hash-in-plain-text", leaks + inOutput);
        expect(leaks + inOutput).toBe(0);
    });

    it("enforces the limits: the user's connection limit refuses one more", async () => {
        const spec = amqpConnectSpec(`amqp://app:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${amqpPort}/shop`);
        const open: amqp.ChannelModel[] = [];
        try {
            for (let i = 0; i < 3; i++) open.push(await amqp.connect(spec));
            const refused = await amqp.connect(spec).then(
                async (c) => {
                    await c.close();
                    return false;
                },
                () => true,
            );
            recordFigure("objects.user-connection-limit-enforced", refused ? 1 : 0);
            expect(refused).toBe(true);
        } finally {
            for (const c of open) await c.close().catch(() => undefined);
        }
    });

    it("changes each in place, naming each in the preview", async () => {
        const next: Shape = {
            description: "the shop, moved",
            vhostLimits: { "max-queues": 30 },
            userLimits: { "max-connections": 4 },
            capLength: 500,
            partitions: 3,
            clusterName: "it-objects-2",
        };
        await apply(next);
        const preview = await ts.stack.preview({ diff: true });
        for (const shown of [
            /~ shop\s*:/,
            /~ app\s*:/,
            /~ shop\/cap\s*:/,
            /\+ shop\/invoices-2\s*:/,
            /~ cluster_name\s*:/,
        ])
            expect(preview.stdout).toMatch(shown);
        const r = await up();
        expect(r.summary.resourceChanges?.replace ?? 0).toBe(0);
        const b = await onBroker();
        expect(b.description).toBe("the shop, moved");
        // Exactly these limits: a limit removed from the config is removed from the broker.
        expect(b.vhostLimits).toEqual({ "max-queues": 30 });
        expect(b.userLimits).toEqual({ "max-connections": 4 });
        expect([b.capLength, b.partitions, b.clusterName]).toEqual([500, partitions(3), "it-objects-2"]);
        await noChanges();
        await apply({ ...BASE, partitions: 3 }); // back, but for the third partition: removing a stream asks (below)
        await up();
        const back = await onBroker();
        expect([back.capLength, back.vhostLimits, back.userLimits]).toEqual([
            1000,
            { "max-connections": 10, "max-queues": 20 },
            { "max-connections": 3, "max-channels": 5 },
        ]);
    });

    it("sets again on up what someone changed or deleted on the broker, one kind at a time (refresh sees it)", async () => {
        await apply({ ...BASE, partitions: 3 });
        await up();
        await noChanges();
        const declared = await onBroker();
        expect(declared).toEqual({
            description: "the shop",
            tags: ["prod", "eu"],
            defaultQueueType: "quorum",
            vhostLimits: { "max-connections": 10, "max-queues": 20 },
            userLimits: { "max-connections": 3, "max-channels": 5 },
            capLength: 1000,
            partitions: partitions(3),
            superStreamExchange: { "x-super-stream": true },
            bindings: [0, 1, 2].map((i) => `invoices-${i}<-${i} {"x-stream-partition-order":${i}}`),
            clusterName: "it-objects",
        });
        const drifts: Array<[string, () => Promise<unknown>]> = [
            ["vhost limit deleted", () => request(api(), "DELETE", "/api/vhost-limits/shop/max-queues")],
            [
                "vhost metadata changed",
                () =>
                    request(api(), "PUT", "/api/vhosts/shop", {
                        description: "by hand",
                        tags: "x",
                        default_queue_type: "quorum",
                    }),
            ],
            ["user limit deleted", () => request(api(), "DELETE", "/api/user-limits/app/max-channels")],
            [
                "user password changed",
                () => request(api(), "PUT", "/api/users/app", { password: "changed-by-hand", tags: "" }),
            ],
            ["operator policy deleted", () => request(api(), "DELETE", "/api/operator-policies/shop/cap")],
            ["super stream partition deleted", () => request(api(), "DELETE", "/api/queues/shop/invoices-2")],
            [
                "cluster name changed",
                () =>
                    request(api(), "PUT", "/api/global-parameters/cluster_name", {
                        name: "cluster_name",
                        value: "by-hand",
                    }),
            ],
        ];
        let restored = 0;
        for (const [what, drift] of drifts) {
            await drift();
            const refresh = await ts.stack.refresh(printed);
            expect(changesOf(refresh), what).toEqual({ update: 1 });
            await up();
            expect(await onBroker(), what).toEqual(declared);
            const conn = await amqp.connect(
                amqpConnectSpec(`amqp://app:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${amqpPort}/shop`),
            );
            await conn.close();
            restored++;
        }
        recordFigure("objects.drifts-restored", restored);
        await noChanges();
    });

    it("routes by partition through the super stream's exchange", async () => {
        const conn = await amqp.connect(amqpConnectSpec(`amqp://admin:${ADMIN_PASSWORD}@127.0.0.1:${amqpPort}/shop`));
        try {
            const ch = await conn.createConfirmChannel();
            for (let i = 0; i < 3; i++)
                for (let n = 0; n <= i; n++) ch.publish("invoices", String(i), Buffer.from(`p${i}`));
            await ch.waitForConfirms();
        } finally {
            await conn.close();
        }
        let counts: number[] = [];
        for (let t = 0; t < 40; t++) {
            counts = await Promise.all(
                [0, 1, 2].map(
                    async (i) =>
                        (await get<{ messages?: number }>(api(), `/api/queues/shop/invoices-${i}`))?.messages ?? 0,
                ),
            );
            if (counts.join() === "1,2,3") break;
            await new Promise((r) => setTimeout(r, 500));
        }
        expect(counts).toEqual([1, 2, 3]);
    });

    it("refuses to remove a super stream's partition (a stream's log) without consent, then removes it with consent", async () => {
        await apply({ ...BASE, partitions: 2 });
        const refused = await ts.stack.preview({ diff: true }).then(
            () => "",
            (e: Error) => String(e),
        );
        expect(refused).toContain(
            "queue shop/invoices-2: removed from the config: deleting it drops the stream's log of 3 messages",
        );
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["queue shop/invoices-2"]) });
        await up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        expect((await onBroker()).partitions).toEqual(partitions(2));
        await noChanges();
    });

    it("refuses an operator policy that would trim a queue now, naming it; consent applies it", async () => {
        const published = await publishConfirmed(`amqp://admin:${ADMIN_PASSWORD}@127.0.0.1:${amqpPort}`, "backlog", 50);
        for (let t = 0; t < 40; t++) {
            if (((await get<{ messages?: number }>(api(), "/api/queues/%2F/backlog"))?.messages ?? 0) >= 50) break;
            await new Promise((r) => setTimeout(r, 500));
        }
        const trimming = [{ name: "trim", pattern: "^backlog$", definition: { "max-length": 10 } }];
        await ts.stack.setConfig("burrow:operatorPolicies", { value: JSON.stringify(trimming) });
        const refused = await ts.stack.preview({ diff: true }).then(
            () => "",
            (e: Error) => String(e),
        );
        recordFigure("objects.trimming-operator-policy-refused", refused ? 1 : 0);
        expect(refused).toContain(
            "operator policy trim: queue backlog holds 50 messages: max-length 10 drops 40 messages",
        );
        expect(refused).toContain(`config set burrow:allowDataLoss '["operator-policy trim"]'`);
        const left = (await get<{ messages?: number }>(api(), "/api/queues/%2F/backlog"))?.messages;
        expect(left).toBe(published);
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify(["operator-policy trim"]) });
        await up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        let after = published;
        for (let t = 0; t < 40 && after !== 10; t++) {
            after = (await get<{ messages?: number }>(api(), "/api/queues/%2F/backlog"))?.messages ?? -1;
            await new Promise((r) => setTimeout(r, 500));
        }
        expect(after).toBe(10);
        await noChanges();
    });

    it("removes each from the broker when removed from the config", async () => {
        await apply({ description: undefined });
        await ts.stack.setConfig("burrow:allowDataLoss", {
            value: JSON.stringify(["queue shop/invoices-0", "queue shop/invoices-1"]),
        });
        await up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        const { clusterName, ...b } = await onBroker();
        expect(b).toEqual({
            description: "",
            tags: [],
            defaultQueueType: "quorum",
            vhostLimits: {},
            userLimits: {},
            capLength: undefined,
            partitions: [],
            superStreamExchange: undefined,
            bindings: [],
        });
        expect(clusterName).not.toBe("it-objects");
        expect(await get(api(), "/api/operator-policies/%2F/trim")).toBeUndefined();
        await noChanges();
        const refresh = await ts.stack.refresh(printed);
        expect(changesOf(refresh)).toEqual({});
    });
});
