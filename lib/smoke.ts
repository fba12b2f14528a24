// The smoke test: what a user does by hand after installing RabbitMQ, done by code.
// A producer publishes one unique persistent message with publisher confirms; a consumer
// receives it and acks it. Used by the SmokeTest resource (every `pulumi up` that changed
// the broker or its topology), by `npm run smoke` and by the tests.
import type * as Amqp from "amqplib";
// Loaded when a smoke test runs (in the provider plugin or a script), not on every program start.
const amqp = (): typeof Amqp => require("amqplib");
import { randomUUID } from "crypto";

export interface SmokeQueue {
    vhost: string;
    name: string;
}

export interface SmokeStep {
    step: "connect" | "check-queue" | "publish" | "consume";
    vhost: string;
    queue?: string;
    ms: number;
}

export interface SmokeResult {
    ok: boolean;
    steps: SmokeStep[];
    totalMs: number;
    /** Set when ok is false: names the step, vhost and queue. */
    error?: string;
}

// The URL helpers live in lib/urls.ts; re-exported for the scripts that import them from here.
export { amqpUrlFor, redactUrl } from "./urls";
import { amqpUrlFor, redactUrl } from "./urls";

async function timed<T>(
    steps: SmokeStep[],
    step: SmokeStep["step"],
    vhost: string,
    queue: string | undefined,
    fn: () => Promise<T>,
): Promise<T> {
    const t0 = performance.now();
    try {
        return await fn();
    } catch (e) {
        const where = `${step}${queue !== undefined ? ` on queue "${queue}"` : ""} in vhost "${vhost}"`;
        throw new Error(`smoke test failed at ${where}: ${(e as Error).message}`, { cause: e });
    } finally {
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        steps.push(queue === undefined ? { step, vhost, ms } : { step, vhost, queue, ms });
    }
}

/** Round-trips one message through one queue on an open connection. */
async function roundTrip(
    conn: Amqp.ChannelModel,
    consumer: Amqp.ChannelModel,
    steps: SmokeStep[],
    q: SmokeQueue,
    timeoutMs: number,
) {
    const ch = await conn.createConfirmChannel();
    const cch = consumer === conn ? ch : await consumer.createChannel();
    try {
        await timed(steps, "check-queue", q.vhost, q.name, () => ch.checkQueue(q.name));
        const id = `burrow-smoke-${randomUUID()}`;
        await timed(steps, "publish", q.vhost, q.name, async () => {
            ch.sendToQueue(q.name, Buffer.from(JSON.stringify({ burrow: "smoke", id, at: new Date().toISOString() })), {
                persistent: true,
                messageId: id,
                contentType: "application/json",
            });
            await ch.waitForConfirms();
        });
        await timed(
            steps,
            "consume",
            q.vhost,
            q.name,
            () =>
                new Promise<void>((resolve, reject) => {
                    const timer = setTimeout(
                        () => reject(new Error(`the message was not delivered within ${timeoutMs} ms`)),
                        timeoutMs,
                    );
                    cch.prefetch(100)
                        .then(() =>
                            cch.consume(q.name, (msg) => {
                                // Other messages stay unacked and go back to the queue when the channel closes.
                                if (msg && msg.properties.messageId === id) {
                                    cch.ack(msg);
                                    clearTimeout(timer);
                                    resolve();
                                }
                            }),
                        )
                        .catch((e) => {
                            clearTimeout(timer);
                            reject(e);
                        });
                }),
        );
    } finally {
        await ch.close().catch(() => undefined);
        if (cch !== ch) await cch.close().catch(() => undefined);
    }
}

export async function runSmoke(opts: {
    url: string;
    queues: SmokeQueue[];
    timeoutMs?: number;
    /** PEM CA for amqps:// */
    ca?: string;
    /** Consume through another node of a cluster (default: the same connection as the producer). */
    consumeUrl?: string;
}): Promise<SmokeResult> {
    const steps: SmokeStep[] = [];
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const byVhost = new Map<string, SmokeQueue[]>();
    for (const q of opts.queues) byVhost.set(q.vhost, [...(byVhost.get(q.vhost) ?? []), q]);
    try {
        for (const [vhost, queues] of byVhost) {
            const connect = (url: string) =>
                timed(steps, "connect", vhost, undefined, async () => {
                    const c = await amqp().connect(amqpUrlFor(url, vhost), {
                        timeout: timeoutMs,
                        ...(opts.ca ? { ca: [Buffer.from(opts.ca)] } : {}),
                    });
                    c.on("error", () => undefined); // reported through the failing call instead
                    return c;
                });
            const conn = await connect(opts.url);
            const consumer = opts.consumeUrl
                ? await connect(opts.consumeUrl).catch(async (e) => {
                      await conn.close().catch(() => undefined);
                      throw e;
                  })
                : conn;
            try {
                for (const q of queues) await roundTrip(conn, consumer, steps, q, timeoutMs);
            } finally {
                await conn.close().catch(() => undefined);
                if (consumer !== conn) await consumer.close().catch(() => undefined);
            }
        }
        return { ok: true, steps, totalMs: Math.round(performance.now() - t0) };
    } catch (e) {
        return {
            ok: false,
            steps,
            totalMs: Math.round(performance.now() - t0),
            error: (e as Error).message.split(opts.url).join(redactUrl(opts.url)),
        };
    }
}
