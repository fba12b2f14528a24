// Exchange federation between two burrow brokers, counted: the downstream declares an
// upstream (the upstream broker reached by container name on a Docker network this test
// makes), an upstream set and the policy that federates its exchange; 1,000 persistent
// messages published to the upstream's exchange arrive in the downstream's bound queue.
// The first upstream enables rabbitmq_federation by itself. Then the upstream's life:
// changed, deleted on the broker (refresh sees it, up sets it again), removed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as amqp from "amqplib";
import { docker } from "../../lib/exec";
import { get, request } from "../../lib/management-client";
import { amqpConnectSpec } from "../../lib/urls";
import { recordFigure } from "../figures";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { drain } from "./messages";

const N = 1000;
const UP_ADMIN = "fed-Upstream-admin-1";
const DOWN_ADMIN = "fed-Downstream-admin-1";
const FED_PASSWORD = "fed-Link-password-9";

let up_: TestStack;
let down: TestStack;
const ports = { uAmqp: 0, uMgmt: 0, dAmqp: 0, dMgmt: 0 };
const net = `burrow-it-federation-${Date.now().toString(36)}`;
const dApi = () => ({ url: `http://127.0.0.1:${ports.dMgmt}`, username: "admin", password: DOWN_ADMIN });
const upstreamUri = () => `amqp://fed:${FED_PASSWORD}@burrow-${up_.name}:5672`;
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
const federation = (over: Record<string, unknown> = {}) => ({
    federationUpstreams: [{ name: "origin", uri: upstreamUri(), expires: 3_600_000, ...over }],
    federationUpstreamSets: [{ name: "origins", upstreams: ["origin"] }],
    policies: [
        {
            name: "federate-events",
            pattern: "^events$",
            applyTo: "exchanges",
            definition: { "federation-upstream-set": "origins" },
        },
    ],
});
async function setFederation(f: ReturnType<typeof federation> | null) {
    const empty = { federationUpstreams: [], federationUpstreamSets: [], policies: [] };
    for (const [k, v] of Object.entries(f ?? empty))
        await down.stack.setConfig(`burrow:${k}`, { value: JSON.stringify(v), secret: k === "federationUpstreams" });
}

/** Waits until the downstream reports its federation link running (it retries every few seconds). */
async function linkRunning(): Promise<string> {
    let status = "";
    for (let i = 0; i < 60; i++) {
        const links = (await get<Array<{ upstream: string; status: string }>>(dApi(), "/api/federation-links")) ?? [];
        status = links.map((l) => `${l.upstream}:${l.status}`).join(",");
        if (status === "origin:running") return status;
        await new Promise((r) => setTimeout(r, 1000));
    }
    return status;
}

beforeAll(async () => {
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    up_ = await createTestStack("fed-up", {
        amqpPort: ports.uAmqp,
        managementPort: ports.uMgmt,
        adminPassword: UP_ADMIN,
        // RabbitMQ 4.x: the upstream of an exchange link needs the plugin too (its internal
        // exchange type; rabbitmq-server#12892). Without it the link stays "shutdown".
        plugins: ["rabbitmq_federation"],
        exchanges: [{ name: "events", type: "topic" }],
        users: [{ name: "fed", password: FED_PASSWORD, permissions: [{ vhost: "/" }] }],
    });
    await up(up_);
    down = await createTestStack("fed-down", {
        amqpPort: ports.dAmqp,
        managementPort: ports.dMgmt,
        adminPassword: DOWN_ADMIN,
        exchanges: [{ name: "events", type: "topic" }],
        queues: ["received"],
        bindings: [{ source: "events", destination: "received", routingKey: "#" }],
    });
    await up(down);
    await docker(["network", "create", "--label", "burrow.test=federation", net]);
    for (const ts of [up_, down]) await docker(["network", "connect", net, `burrow-${ts.name}`]);
});

afterAll(async () => {
    await down?.destroy().catch(() => undefined);
    await up_?.destroy();
    await docker(["network", "rm", net]).catch(() => undefined);
});

describe("federation between two burrow brokers", () => {
    it(`federates an exchange: ${N} messages published upstream arrive downstream`, async () => {
        // The first upstream enables the plugin: a new container, connected to the test's network again.
        await setFederation(federation());
        const r = await up(down);
        await docker(["network", "connect", net, `burrow-${down.name}`]).catch(() => undefined);
        expect(Object.keys(r.outputs.links.value)).toEqual(["federation-upstream origin"]);
        expect(await linkRunning()).toBe("origin:running");
        const conn = await amqp.connect(amqpConnectSpec(`amqp://admin:${UP_ADMIN}@127.0.0.1:${ports.uAmqp}`));
        let published = 0;
        try {
            const ch = await conn.createConfirmChannel();
            for (let i = 0; i < N; i++)
                ch.publish(
                    "events",
                    `order.${i}`,
                    Buffer.from(String(i)),
                    { persistent: true, messageId: String(i) },
                    (err) => {
                        if (!err) published++;
                    },
                );
            await ch.waitForConfirms();
        } finally {
            await conn.close();
        }
        const d = await drain(`amqp://admin:${DOWN_ADMIN}@127.0.0.1:${ports.dAmqp}`, "received", N);
        recordFigure("federation.exchange.published", published);
        recordFigure("federation.exchange.received", d.received);
        recordFigure("federation.exchange.lost", d.lost);
        recordFigure("federation.exchange.duplicated", d.duplicated);
        expect(published).toBe(N);
        expect(d).toMatchObject({ received: N, lost: 0, duplicated: 0 });
        // An up that changes nothing keeps the link as it is.
        await noChanges(down);
        const refresh = await down.stack.refresh(printed(down));
        expect(changesOf(refresh)).toEqual({});
    });

    it("reports the link's status after an up that changed it, and names the upstream in the preview", async () => {
        await setFederation(federation({ maxHops: 2 }));
        const preview = await down.stack.preview({ diff: true });
        expect(preview.stdout).toMatch(/~ origin\s*:/);
        expect(preview.stdout).toContain(`fed:***@burrow-${up_.name}:5672`);
        expect(preview.stdout + preview.stderr).not.toContain(FED_PASSWORD);
        const r = await up(down);
        expect(r.outputs.links.value).toEqual({ "federation-upstream origin": "running (1 link)" });
        const p = await get<{ value: Record<string, unknown> }>(
            dApi(),
            "/api/parameters/federation-upstream/%2F/origin",
        );
        expect(p?.value["max-hops"]).toBe(2);
        await noChanges(down);
    });

    it("sets again on up an upstream or set deleted on the broker (refresh sees it)", async () => {
        for (const path of [
            "/api/parameters/federation-upstream/%2F/origin",
            "/api/parameters/federation-upstream-set/%2F/origins",
        ]) {
            await request(dApi(), "DELETE", path);
            const refresh = await down.stack.refresh(printed(down));
            expect(changesOf(refresh), path).toEqual({ update: 1 });
            await up(down);
            expect(await get(dApi(), path), path).toBeDefined();
        }
        expect(await linkRunning()).toBe("origin:running");
        await noChanges(down);
    });

    it("removes the upstream, the set and the policy when removed from the config", async () => {
        await setFederation(null);
        await up(down);
        expect(await get(dApi(), "/api/parameters/federation-upstream/%2F/origin")).toBeUndefined();
        expect(await get(dApi(), "/api/parameters/federation-upstream-set/%2F/origins")).toBeUndefined();
        expect(await get(dApi(), "/api/policies/%2F/federate-events")).toBeUndefined();
        expect((await get<unknown[]>(dApi(), "/api/federation-links")) ?? []).toEqual([]);
        await noChanges(down);
    });
});
