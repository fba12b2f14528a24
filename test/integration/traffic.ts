// Clients that keep running through an upgrade, as real applications do: a publisher that
// sends persistent messages one at a time with publisher confirms and a consumer that acks
// each delivery, both reconnecting (to the next address of the list) whenever the broker
// closes them or refuses them. Every message carries its id; lost and duplicated are
// counted from ids at the end. A message counts as published only once the broker
// confirmed it; one the broker never confirmed may or may not arrive (at-least-once).
import * as amqp from "amqplib";

export interface TrafficOptions {
    /** Where to connect, tried in turn after each failure. */
    urls: string[];
    queue: string;
    /** Message ids are `<prefix><n>`. */
    prefix: string;
    /** Pause between two publishes (ms). */
    pauseMs?: number;
}

export interface TrafficResult {
    /** Ids the broker confirmed. */
    confirmed: Set<string>;
    /** Deliveries per id (ids of this traffic only). */
    received: Map<string, number>;
    /** Publisher reconnections (each after the broker closed or refused it). */
    publisherReconnects: number;
    consumerReconnects: number;
    /** The longest time between two confirms (ms): how long publishing was impossible. */
    longestConfirmGapMs: number;
    /** When that gap began and ended (ms since the epoch). */
    gap: { from: number; to: number };
}

export interface Traffic {
    /** Stops publishing, consumes until every confirmed id arrived (or the deadline), then counts. */
    stop(deadlineMs?: number): Promise<TrafficResult>;
    /** Confirms so far. */
    confirmedCount(): number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startTraffic(o: TrafficOptions): Traffic {
    const confirmed = new Set<string>();
    const received = new Map<string, number>();
    let publishing = true;
    let consuming = true;
    let publisherReconnects = 0;
    let consumerReconnects = 0;
    let lastConfirm = Date.now();
    let gap = { from: lastConfirm, to: lastConfirm };
    const conns = new Set<amqp.ChannelModel>();

    const publisher = (async () => {
        let n = 0;
        let at = 0;
        while (publishing) {
            let conn: amqp.ChannelModel | undefined;
            try {
                conn = await amqp.connect(o.urls[at % o.urls.length], { timeout: 5000 });
                conns.add(conn);
                conn.on("error", () => undefined);
                const closed = new Promise<void>((resolve) => conn!.once("close", () => resolve()));
                const ch = await conn.createConfirmChannel();
                ch.on("error", () => undefined);
                while (publishing) {
                    const id = `${o.prefix}${n++}`;
                    const ok = await Promise.race([
                        new Promise<boolean>((resolve) =>
                            ch.sendToQueue(o.queue, Buffer.from(id), { persistent: true, messageId: id }, (err) =>
                                resolve(!err),
                            ),
                        ),
                        closed.then(() => false),
                        sleep(30_000).then(() => false),
                    ]);
                    if (!ok) throw new Error(`publish of ${id} not confirmed`);
                    confirmed.add(id);
                    const now = Date.now();
                    if (now - lastConfirm > gap.to - gap.from) gap = { from: lastConfirm, to: now };
                    lastConfirm = now;
                    if (o.pauseMs) await sleep(o.pauseMs);
                }
                await conn.close().catch(() => undefined);
            } catch {
                if (conn) await conn.close().catch(() => undefined);
                if (!publishing) break;
                publisherReconnects++;
                at++;
                await sleep(250);
            } finally {
                if (conn) conns.delete(conn);
            }
        }
    })();

    const consumer = (async () => {
        let at = 0;
        while (consuming) {
            let conn: amqp.ChannelModel | undefined;
            try {
                conn = await amqp.connect(o.urls[at % o.urls.length], { timeout: 5000 });
                conns.add(conn);
                conn.on("error", () => undefined);
                const closed = new Promise<void>((resolve) => conn!.once("close", () => resolve()));
                const ch = await conn.createChannel();
                ch.on("error", () => undefined);
                await ch.prefetch(100);
                await ch.consume(o.queue, (m) => {
                    if (!m) return;
                    const id = m.properties.messageId ?? m.content.toString();
                    if (id.startsWith(o.prefix)) received.set(id, (received.get(id) ?? 0) + 1);
                    ch.ack(m);
                });
                // A consumer cancelled by the broker (its queue moved away) is a reason to reconnect too.
                const cancelled = new Promise<void>((resolve) => ch.once("cancel", () => resolve()));
                while (consuming) {
                    const stop = await Promise.race([
                        closed.then(() => "closed"),
                        cancelled.then(() => "cancelled"),
                        sleep(200),
                    ]);
                    if (stop) throw new Error(String(stop));
                }
                await sleep(1000); // the last acks settle before the channel goes
                await conn.close().catch(() => undefined);
            } catch {
                if (conn) await conn.close().catch(() => undefined);
                if (!consuming) break;
                consumerReconnects++;
                at++;
                await sleep(250);
            } finally {
                if (conn) conns.delete(conn);
            }
        }
    })();

    return {
        confirmedCount: () => confirmed.size,
        async stop(deadlineMs = 120_000) {
            publishing = false;
            await publisher;
            const deadline = Date.now() + deadlineMs;
            while (Date.now() < deadline && [...confirmed].some((id) => !received.has(id))) await sleep(250);
            consuming = false;
            await consumer;
            for (const c of conns) await c.close().catch(() => undefined);
            return {
                confirmed,
                received,
                publisherReconnects,
                consumerReconnects,
                longestConfirmGapMs: gap.to - gap.from,
                gap,
            };
        },
    };
}

/** Lost (confirmed, never received) and duplicated (extra deliveries) of a traffic's messages. */
export function accounting(r: TrafficResult): { published: number; lost: number; duplicated: number } {
    let lost = 0;
    let duplicated = 0;
    for (const id of r.confirmed) if (!r.received.has(id)) lost++;
    for (const c of r.received.values()) duplicated += c - 1;
    return { published: r.confirmed.size, lost, duplicated };
}
