// The smoke test: what a user does by hand after installing RabbitMQ, done by code.
// A producer publishes one unique persistent message with publisher confirms; a consumer
// receives it and acks it. Used by the SmokeTest resource (every `pulumi up` that changed
// the broker or its topology), by `npm run smoke` and by the tests.
//
// Every step is bounded: a broker in a memory or disk alarm blocks publishers and never
// confirms, so without a bound `pulumi up` would wait forever. A step that fails says why
// when the broker told us (connection.blocked) or its management API shows an alarm.
import type * as Amqp from "amqplib";
// Loaded when a smoke test runs (in the provider plugin or a script), not on every program start.
const amqp = (): typeof Amqp => require("amqplib");
import { randomUUID } from "crypto";
import { ManagementApi, get } from "./management-client";
import { smokeFailedMessage } from "./errors";

export interface SmokeQueue {
    vhost: string;
    name: string;
}

export interface SmokeStep {
    step: "connect" | "check-queue" | "publish" | "consume";
    vhost: string;
    queue?: string;
    ms: number;
    /** check-queue: the messages the queue held; when any, the round trip used a queue of its own (publish and consume name it). */
    messages?: number;
}

export interface SmokeResult {
    ok: boolean;
    steps: SmokeStep[];
    totalMs: number;
    /** Set when ok is false: names the step, vhost and queue, and the broker's alarm if it has one. */
    error?: string;
}

// The URL helpers live in lib/urls.ts; re-exported for the scripts that import them from here.
export { redactUrl } from "./urls";
import { amqpConnectSpec, redactUrl } from "./urls";

/** Rejects when `p` has not settled within `ms`; `late` disposes of a value that arrives after that. */
export function within<T>(ms: number, what: string, p: Promise<T>, late?: (v: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        let expired = false;
        const timer = setTimeout(() => {
            expired = true;
            reject(new Error(`${what} within ${ms} ms`));
        }, ms);
        p.then(
            (v) => {
                clearTimeout(timer);
                if (expired) late?.(v);
                else resolve(v);
            },
            (e) => {
                clearTimeout(timer);
                if (!expired) reject(e);
            },
        );
    });
}

// What each alarm means for a publisher and what to do. RabbitMQ names them in
// connection.blocked ("low on memory", "low on disk", joined by " & ") and in /api/nodes.
const ALARM_ADVICE = {
    memory:
        "memory alarm: the broker uses more memory than its high watermark and blocks every publisher until it is below it; " +
        "raise burrow:memoryLimitMb (the memory the broker gets) or burrow:memoryHighWatermark (the share of it RabbitMQ may use), " +
        "or consume the messages that fill it; `rabbitmq-diagnostics check_local_alarms` on the node shows the alarm",
    disk:
        "disk alarm: free disk space on the broker is below its disk_free_limit and it blocks every publisher until there is more; " +
        "free disk space where it keeps its data (Docker: the filesystem of Docker's volumes; SSH: /var/lib/rabbitmq), " +
        "or consume the messages that fill it; `rabbitmq-diagnostics check_local_alarms` on the node shows the alarm",
} as const;
export type AlarmKind = keyof typeof ALARM_ADVICE;

/** The alarms a connection.blocked reason names ("low on memory & low on disk"). */
export function alarmsInBlockedReason(reason: string): AlarmKind[] {
    const kinds: AlarmKind[] = [];
    if (/memory/i.test(reason)) kinds.push("memory");
    if (/disk/i.test(reason)) kinds.push("disk");
    return kinds;
}

/** One node as /api/nodes reports it (the columns the smoke test reads). */
export interface NodeAlarms {
    name: string;
    mem_alarm?: boolean;
    disk_free_alarm?: boolean;
    mem_used?: number;
    mem_limit?: number;
    disk_free?: number;
    disk_free_limit?: number;
}
export const NODE_ALARM_COLUMNS = "name,mem_alarm,disk_free_alarm,mem_used,mem_limit,disk_free,disk_free_limit";

const mb = (n: number | undefined) => (n === undefined ? "?" : `${(n / 1e6).toFixed(n < 1e6 ? 3 : 0)} MB`);

/** "memory alarm on rabbit@a (uses 95 MB, watermark 0.1 MB)", one per alarm of every node; [] when none. */
export function nodeAlarms(nodes: NodeAlarms[]): Array<{ kind: AlarmKind; text: string }> {
    const out: Array<{ kind: AlarmKind; text: string }> = [];
    for (const n of nodes) {
        if (n.mem_alarm)
            out.push({
                kind: "memory",
                text: `memory alarm on ${n.name} (uses ${mb(n.mem_used)}, watermark ${mb(n.mem_limit)})`,
            });
        if (n.disk_free_alarm)
            out.push({
                kind: "disk",
                text: `disk alarm on ${n.name} (${mb(n.disk_free)} free, limit ${mb(n.disk_free_limit)})`,
            });
    }
    return out;
}

/**
 * Why a broker may not have answered: its connection.blocked reason and the alarms its
 * management API lists, each with what to do. Undefined when neither shows anything.
 */
export function explainAlarms(blockedReason: string | undefined, nodes: NodeAlarms[] | undefined): string | undefined {
    const seen = nodeAlarms(nodes ?? []);
    const kinds = new Set<AlarmKind>([...alarmsInBlockedReason(blockedReason ?? ""), ...seen.map((a) => a.kind)]);
    if (blockedReason === undefined && kinds.size === 0) return undefined;
    const parts: string[] = [];
    if (blockedReason !== undefined) parts.push(`the broker blocked publishing ("${blockedReason}")`);
    if (seen.length > 0) parts.push(seen.map((a) => a.text).join(", "));
    for (const k of kinds) parts.push(ALARM_ADVICE[k]);
    return parts.join("; ");
}

/** An open AMQP connection and the connection.blocked reason the broker last sent on it. */
interface Watched {
    model: Amqp.ChannelModel;
    blocked?: string;
}

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
        throw new Error(smokeFailedMessage(step, vhost, queue, (e as Error).message), { cause: e });
    } finally {
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        steps.push(queue === undefined ? { step, vhost, ms } : { step, vhost, queue, ms });
    }
}

/** Closes within a bound: a blocked broker stops reading, so a close may never be answered. */
async function closeWithin(c: { close(): Promise<void> }, ms: number, onExpired?: () => void) {
    await within(ms, "closed", c.close()).catch(() => onExpired?.());
}

/** Drops the socket under a connection that did not close in time (amqplib keeps it on `connection.stream`). */
function destroySocket(model: Amqp.ChannelModel) {
    (model.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/** Round-trips one message through one queue on an open connection. */
async function roundTrip(conn: Watched, consumer: Watched, steps: SmokeStep[], q: SmokeQueue, timeoutMs: number) {
    const ch = await within(timeoutMs, "no channel opened", conn.model.createConfirmChannel(), (c) =>
        closeWithin(c, 1000),
    );
    ch.on("error", () => undefined); // reported through the failing call instead
    let cch: Amqp.Channel = ch;
    try {
        if (consumer !== conn) {
            cch = await within(timeoutMs, "no channel opened", consumer.model.createChannel(), (c) =>
                closeWithin(c, 1000),
            );
            cch.on("error", () => undefined);
        }
        const { messageCount, consumerCount } = await timed(steps, "check-queue", q.vhost, q.name, () =>
            within(timeoutMs, "no answer to queue.declare (passive)", ch.checkQueue(q.name)),
        );
        steps[steps.length - 1].messages = messageCount;
        // A queue that holds messages or has consumers (an operator's) is never consumed from: a
        // consumer would be handed their messages ahead of the smoke message and return them
        // redelivered (counted against a quorum queue's delivery limit), and with more waiting
        // than the prefetch the smoke message would never arrive. The round trip then goes
        // through a queue of the smoke test's own in the same vhost, deleted after (and
        // expiring on its own). Durable: RabbitMQ 4.3 refuses transient non-exclusive queues.
        let queue = q.name;
        if (messageCount > 0 || consumerCount > 0) {
            queue = `burrow.smoke.own-${randomUUID()}`;
            await timed(steps, "check-queue", q.vhost, queue, () =>
                within(
                    timeoutMs,
                    "no answer to queue.declare",
                    ch.assertQueue(queue, {
                        durable: true,
                        arguments: { "x-expires": 60_000, "x-queue-type": "classic" },
                    }),
                ),
            );
        }
        const id = `burrow-smoke-${randomUUID()}`;
        await timed(steps, "publish", q.vhost, queue, () => {
            ch.sendToQueue(queue, Buffer.from(JSON.stringify({ burrow: "smoke", id, at: new Date().toISOString() })), {
                persistent: true,
                messageId: id,
                contentType: "application/json",
            });
            return within(timeoutMs, "no publisher confirm", ch.waitForConfirms());
        });
        await timed(
            steps,
            "consume",
            q.vhost,
            queue,
            () =>
                new Promise<void>((resolve, reject) => {
                    const timer = setTimeout(
                        () => reject(new Error(`the message was not delivered within ${timeoutMs} ms`)),
                        timeoutMs,
                    );
                    cch.prefetch(100)
                        .then(() =>
                            cch.consume(queue, (msg) => {
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
        if (queue !== q.name)
            await within(timeoutMs, "no answer to queue.delete", ch.deleteQueue(queue)).catch(() => undefined);
    } finally {
        // A blocked connection never answers channel.close; closing the connection drops its channels.
        if (conn.blocked === undefined) await closeWithin(ch, Math.min(timeoutMs, 2000));
        if (cch !== ch && consumer.blocked === undefined) await closeWithin(cch, Math.min(timeoutMs, 2000));
    }
}

export interface SmokeOptions {
    url: string;
    queues: SmokeQueue[];
    /** The bound of each step (connect, channel, check-queue, publish, consume); default 10 s. */
    timeoutMs?: number;
    /** PEM CA for amqps:// */
    ca?: string;
    /** Consume through another node of a cluster (default: the same connection as the producer). */
    consumeUrl?: string;
    /** The broker's management API: when a step fails, its nodes' alarms are read to say why. */
    api?: ManagementApi;
}

export async function runSmoke(opts: SmokeOptions): Promise<SmokeResult> {
    const steps: SmokeStep[] = [];
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const byVhost = new Map<string, SmokeQueue[]>();
    for (const q of opts.queues) byVhost.set(q.vhost, [...(byVhost.get(q.vhost) ?? []), q]);
    const open: Watched[] = [];
    try {
        for (const [vhost, queues] of byVhost) {
            const connect = (url: string) =>
                timed(steps, "connect", vhost, undefined, async () => {
                    const c = await within(
                        timeoutMs,
                        "no AMQP connection opened",
                        amqp().connect(amqpConnectSpec(url, vhost), {
                            timeout: timeoutMs,
                            ...(opts.ca ? { ca: [Buffer.from(opts.ca)] } : {}),
                        }),
                        (late) => closeWithin(late, 1000, () => destroySocket(late)),
                    );
                    const w: Watched = { model: c };
                    c.on("error", () => undefined); // reported through the failing call instead
                    c.on("blocked", (reason: string) => (w.blocked = reason));
                    c.on("unblocked", () => (w.blocked = undefined));
                    open.push(w);
                    return w;
                });
            const conn = await connect(opts.url);
            const consumer = opts.consumeUrl ? await connect(opts.consumeUrl) : conn;
            for (const q of queues) await roundTrip(conn, consumer, steps, q, timeoutMs);
            for (const w of open.splice(0))
                await closeWithin(w.model, Math.min(timeoutMs, 2000), () => destroySocket(w.model));
        }
        return { ok: true, steps, totalMs: Math.round(performance.now() - t0) };
    } catch (e) {
        let error = (e as Error).message;
        const why = explainAlarms(
            open.find((w) => w.blocked !== undefined)?.blocked,
            opts.api ? await readNodeAlarms(opts.api, Math.min(timeoutMs, 5000)) : undefined,
        );
        if (why) error += `: ${why}`;
        for (const u of [opts.url, opts.consumeUrl ?? opts.url]) error = error.split(u).join(redactUrl(u));
        return { ok: false, steps, totalMs: Math.round(performance.now() - t0), error };
    } finally {
        for (const w of open) await closeWithin(w.model, 1000, () => destroySocket(w.model));
    }
}

/** The nodes' alarms from the management API, or undefined when it does not answer in time. */
async function readNodeAlarms(api: ManagementApi, ms: number): Promise<NodeAlarms[] | undefined> {
    return within(ms, "no answer", get<NodeAlarms[]>(api, `/api/nodes?columns=${NODE_ALARM_COLUMNS}`)).catch(
        () => undefined,
    );
}
