// Persistence: 10,000 persistent messages published with confirms into a durable classic
// and a durable quorum queue survive a change that replaces the broker container (a new
// plugin means a new image); then all are consumed: lost and duplicated must both be 0.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestStack, createTestStack, freePort, changesOf } from "./harness";
import { recordFigure } from "../figures";

const COUNT = 10_000;
const QUEUES = ["keep-classic", "keep-quorum"];
let ts: TestStack;
let url: string;

async function publishAll(queue: string) {
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < COUNT; i++) {
        ch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
        if (i % 1000 === 999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    await conn.close();
}

async function consumeAll(queue: string): Promise<{ lost: number; duplicated: number; received: number }> {
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.prefetch(500);
    const seen = new Map<number, number>();
    let received = 0;
    await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const done = () => resolve();
        const arm = () => {
            if (idle) clearTimeout(idle);
            idle = setTimeout(done, 3000); // no delivery for 3 s: the queue is drained
        };
        arm();
        ch.consume(queue, (m) => {
            if (!m) return;
            const n = Number(m.content.toString());
            seen.set(n, (seen.get(n) ?? 0) + 1);
            received++;
            ch.ack(m);
            arm();
        }).catch(reject);
    });
    await conn.close();
    let lost = 0,
        duplicated = 0;
    for (let i = 0; i < COUNT; i++) {
        const c = seen.get(i) ?? 0;
        if (c === 0) lost++;
        if (c > 1) duplicated += c - 1;
    }
    return { lost, duplicated, received };
}

beforeAll(async () => {
    ts = await createTestStack("persist", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        queues: [
            { name: "keep-classic", type: "classic" },
            { name: "keep-quorum", type: "quorum" },
        ],
    });
    const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
    url = up.outputs.amqpUrl.value;
});
afterAll(async () => ts?.destroy());

describe("messages survive a container replacement", () => {
    it(`keeps all ${COUNT} messages in a classic and a quorum queue`, async () => {
        for (const q of QUEUES) await publishAll(q);
        const containerBefore = (await ts.stack.outputs()).containerName.value;
        const idBefore = (await ts.stack.exportStack()).deployment.resources.find((r: { type: string }) =>
            r.type.endsWith("RabbitmqContainer"),
        ).id;

        await ts.stack.setConfig("burrow:plugins", { value: JSON.stringify(["rabbitmq_shovel"]) });
        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        const idAfter = (await ts.stack.exportStack()).deployment.resources.find((r: { type: string }) =>
            r.type.endsWith("RabbitmqContainer"),
        ).id;
        expect(idAfter).not.toBe(idBefore); // really a new container
        expect((await ts.stack.outputs()).containerName.value).toBe(containerBefore);

        for (const q of QUEUES) {
            const r = await consumeAll(q);
            recordFigure(`persistence.${q}.published`, COUNT);
            recordFigure(`persistence.${q}.lost`, r.lost);
            recordFigure(`persistence.${q}.duplicated`, r.duplicated);
            expect(r).toEqual({ lost: 0, duplicated: 0, received: COUNT });
        }
        // Idempotent after the replacement too.
        const again = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(again)).toEqual({});
    });
});
