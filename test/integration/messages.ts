// Message accounting for the day-2 proofs: publish with publisher confirms and count what the
// broker confirmed; consume to a count or a deadline (never "idle for a while = done"), then
// read what is left in the queue; lost and duplicated are computed from message ids.
import * as amqp from "amqplib";
import { amqpConnectSpec } from "../../lib/urls";

/** Publishes `count` persistent messages numbered from `from`, returns how many the broker confirmed. */
export async function publishConfirmed(url: string, queue: string, count: number, from = 0): Promise<number> {
    const conn = await amqp.connect(amqpConnectSpec(url));
    let confirmed = 0;
    try {
        const ch = await conn.createConfirmChannel();
        const pending: Array<Promise<void>> = [];
        for (let i = from; i < from + count; i++) {
            pending.push(
                new Promise<void>((resolve) =>
                    ch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true, messageId: String(i) }, (err) => {
                        if (!err) confirmed++;
                        resolve();
                    }),
                ),
            );
        }
        await Promise.all(pending);
        await ch.close();
    } finally {
        await conn.close().catch(() => undefined);
    }
    return confirmed;
}

export interface Drained {
    /** Deliveries of ids in the range. */
    received: number;
    /** Deliveries of ids outside the range: messages acked earlier that came back (an unclean restart). */
    stray: number;
    lost: number;
    duplicated: number;
    /** Messages still in the queue after the consumer stopped. */
    left: number;
}

/**
 * Consumes until every id in [from, from+count) arrived or the deadline passed, acking each;
 * then reads the queue's depth. lost: ids never received; duplicated: extra deliveries.
 */
export async function drain(
    url: string,
    queue: string,
    count: number,
    from = 0,
    deadlineMs = 60_000,
): Promise<Drained> {
    const conn = await amqp.connect(amqpConnectSpec(url));
    const seen = new Map<number, number>();
    let received = 0;
    let stray = 0;
    try {
        const ch = await conn.createChannel();
        await ch.prefetch(200);
        const missing = () => count - [...seen.keys()].filter((n) => n >= from && n < from + count).length;
        let tag = "";
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, deadlineMs);
            ch.consume(queue, (m) => {
                if (!m) return;
                const n = Number(m.content.toString());
                seen.set(n, (seen.get(n) ?? 0) + 1);
                if (n >= from && n < from + count) received++;
                else stray++;
                ch.ack(m);
                if (missing() === 0) {
                    clearTimeout(timer);
                    resolve();
                }
            }).then(
                (r) => (tag = r.consumerTag),
                (e) => {
                    clearTimeout(timer);
                    reject(e);
                },
            );
        });
        // Stop deliveries, then give the last acks time to settle before the channel goes: a
        // quorum queue applies acks asynchronously, and a channel closed right after them gets
        // some acked messages back (at-least-once), which would show up in the next count.
        if (tag) await ch.cancel(tag);
        await new Promise((r) => setTimeout(r, 1000));
        await ch.close();
        const depth = await conn.createChannel().then(async (c) => {
            const q = await c.checkQueue(queue);
            await c.close();
            return q.messageCount;
        });
        let lost = 0;
        let duplicated = 0;
        for (let i = from; i < from + count; i++) {
            const c = seen.get(i) ?? 0;
            if (c === 0) lost++;
            if (c > 1) duplicated += c - 1;
        }
        return { received, stray, lost, duplicated, left: depth };
    } finally {
        await conn.close().catch(() => undefined);
    }
}
