// AMQP traffic for the proof tests, every wait bounded: publish with confirms and count what
// the broker confirmed; consume to a count or a deadline (never "idle for N s = drained"),
// then read the queue's depth, so a slow leader election is "not yet consumed", not "lost".
import * as amqp from "amqplib";

export type Options = amqp.Options.Connect & { ca?: Buffer[] };

/** Connects, retrying while a node that was just (re)started does not accept AMQP yet. */
export async function connectWithin(url: string, ms: number, opts: Options = {}): Promise<amqp.ChannelModel> {
    const deadline = Date.now() + ms;
    for (;;) {
        try {
            const c = await amqp.connect(url, { timeout: 10_000, ...opts });
            c.on("error", () => undefined); // surfaced by the failing call instead
            return c;
        } catch (e) {
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
}

/**
 * Publishes `count` persistent messages "0".."count-1" (or with `prefix`) and returns how many
 * the broker confirmed (ack) and refused (nack); confirms waited for at most `timeoutMs`.
 */
export async function publishConfirmed(
    url: string,
    queue: string,
    count: number,
    opts: { prefix?: string; timeoutMs?: number; connect?: Options } = {},
): Promise<{ confirmed: number; nacked: number }> {
    const conn = await connectWithin(url, 60_000, opts.connect);
    let confirmed = 0,
        nacked = 0;
    try {
        const ch = await conn.createConfirmChannel();
        const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
        for (let i = 0; i < count; i++) {
            const ok = ch.sendToQueue(queue, Buffer.from(`${opts.prefix ?? ""}${i}`), { persistent: true }, (err) =>
                err ? nacked++ : confirmed++,
            );
            if (!ok) await new Promise((r) => ch.once("drain", r));
            if (i % 1000 === 999) await bounded(ch.waitForConfirms(), deadline, "confirms").catch(() => undefined);
        }
        await bounded(ch.waitForConfirms(), deadline, "confirms").catch(() => undefined);
    } finally {
        await conn.close().catch(() => undefined);
    }
    return { confirmed, nacked };
}

function bounded<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${what}: deadline passed`)), Math.max(0, deadline - Date.now()));
        p.then(
            (v) => (clearTimeout(t), resolve(v)),
            (e) => (clearTimeout(t), reject(e)),
        );
    });
}

/**
 * Consumes (and acks) until `max` messages were taken or `timeoutMs` passed, counting each
 * body in `seen`. Deliveries beyond `max` go back to the queue. Returns how many it took.
 */
export async function consumeUpTo(
    url: string,
    queue: string,
    max: number,
    seen: Map<string, number>,
    timeoutMs: number,
    connect: Options = {},
): Promise<number> {
    const conn = await connectWithin(url, 120_000, connect);
    let got = 0;
    try {
        const ch = await conn.createChannel();
        await ch.prefetch(200);
        let tag = "";
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, timeoutMs); // the deadline: what is left is counted from the queue
            ch.consume(queue, (m) => {
                if (!m) return;
                if (got >= max) return ch.nack(m, false, true);
                const body = m.content.toString();
                seen.set(body, (seen.get(body) ?? 0) + 1);
                ch.ack(m);
                if (++got >= max) {
                    clearTimeout(timer);
                    resolve();
                }
            }).then(
                (r) => (tag = r.consumerTag),
                (e) => (clearTimeout(timer), reject(e)),
            );
        });
        if (tag) await ch.cancel(tag);
        await ch.close(); // acks are written before the close; unacked deliveries go back to the queue
    } finally {
        await conn.close().catch(() => undefined);
    }
    return got;
}

/** Messages in the queue (ready; with no consumer connected, that is all of them), by a passive declare. */
export async function queueDepth(url: string, queue: string, connect: Options = {}): Promise<number> {
    const conn = await connectWithin(url, 60_000, connect);
    try {
        const ch = await conn.createChannel();
        return (await ch.checkQueue(queue)).messageCount;
    } finally {
        await conn.close().catch(() => undefined);
    }
}

/** Lost and duplicated among the messages "0".."count-1" (or with `prefix`), given what was consumed and is left. */
export function tally(seen: Map<string, number>, count: number, leftInQueue: number, prefix = "") {
    let received = 0,
        duplicated = 0;
    for (let i = 0; i < count; i++) {
        const c = seen.get(`${prefix}${i}`) ?? 0;
        if (c > 0) received++;
        if (c > 1) duplicated += c - 1;
    }
    // A message still in the queue is not lost, only not consumed yet (the test fails on it too).
    return { received, duplicated, lost: Math.max(0, count - received - leftInQueue), leftInQueue };
}

/** The next message of a queue, or an error after `timeoutMs` (never a consume that hangs). */
export async function consumeOne(ch: amqp.Channel, queue: string, timeoutMs: number): Promise<amqp.ConsumeMessage> {
    let tag = "";
    try {
        return await new Promise<amqp.ConsumeMessage>((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`no message on ${queue} within ${timeoutMs} ms`)),
                timeoutMs,
            );
            ch.consume(queue, (m) => {
                if (m) {
                    clearTimeout(timer);
                    resolve(m);
                }
            }).then(
                (r) => (tag = r.consumerTag),
                (e) => (clearTimeout(timer), reject(e)),
            );
        });
    } finally {
        if (tag) await ch.cancel(tag).catch(() => undefined);
    }
}
