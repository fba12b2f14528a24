// Persistence: 10,000 persistent messages published with confirms into a durable classic
// and a durable quorum queue survive a change that replaces the broker container (a new
// plugin means a new image; Docker's own container id shows the replacement); then they are
// consumed to the count or a deadline and the queue's depth is read: lost and duplicated must be 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { TestStack, changesOf, cleanUp, createTestStack, freePort } from "./harness";
import { containerStart } from "./probes";

const COUNT = 10_000;
const QUEUES = ["keep-classic", "keep-quorum"] as const;
let ts: TestStack;
let url: string;

beforeAll(async () => {
    ts = await createTestStack("persist", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        queues: [
            { name: "keep-classic", type: "classic" },
            { name: "keep-quorum", type: "quorum" },
        ],
    });
    const up = await ts.up();
    url = up.outputs.amqpUrl.value;
});
afterAll(() => cleanUp(() => ts?.destroy()));

describe("messages survive a container replacement", () => {
    it(`keeps all ${COUNT} confirmed messages in a classic and a quorum queue`, async () => {
        const confirmed: Record<string, number> = {};
        for (const q of QUEUES) {
            const r = await publishConfirmed(url, q, COUNT);
            confirmed[q] = r.confirmed;
            recordFigure(`persistence.${q}.confirmed`, r.confirmed, COUNT);
        }
        expect(confirmed).toEqual({ "keep-classic": COUNT, "keep-quorum": COUNT });
        const name = (await ts.stack.outputs()).containerName.value;
        const before = await containerStart(name);

        await ts.stack.setConfig("burrow:plugins", { value: JSON.stringify(["rabbitmq_shovel"]) });
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        const after = await containerStart(name);
        recordFigure("persistence.container-replaced", after.id !== before.id ? 1 : 0, 1);
        expect(after.id).not.toBe(before.id); // really a new container, by Docker's own id
        expect(after.running).toBe(true);

        for (const q of QUEUES) {
            const seen = new Map<string, number>();
            await consumeUpTo(url, q, COUNT, seen, 5 * 60_000);
            const r = tally(seen, COUNT, await queueDepth(url, q));
            recordFigure(`persistence.${q}.received`, r.received, COUNT);
            recordFigure(`persistence.${q}.lost`, r.lost);
            recordFigure(`persistence.${q}.duplicated`, r.duplicated);
            expect(r).toEqual({ received: COUNT, lost: 0, duplicated: 0, leftInQueue: 0 });
        }
        // Idempotent after the replacement too.
        expect(changesOf(await ts.up())).toEqual({});
    });
});
