// The pure parts of a blue-green upgrade (components/providers/broker-generation.ts switches
// the brokers, blue-green-move.ts moves the messages): which of the old broker's definitions
// the new one boots with, and the dynamic shovel that moves one queue's messages.
import { parseRabbitmqVersion } from "./upgrade-plan";

/** RabbitMQ's definitions export (`rabbitmqctl export_definitions`, GET /api/definitions). */
export interface ExportedDefinitions {
    users?: unknown[];
    vhosts?: unknown[];
    permissions?: unknown[];
    topic_permissions?: unknown[];
    parameters?: Array<{ component?: string; name?: string; vhost?: string; value?: unknown }>;
    global_parameters?: unknown[];
    policies?: Array<{ vhost: string; name: string; definition: Record<string, unknown> }>;
    queues?: unknown[];
    exchanges?: unknown[];
    bindings?: unknown[];
    [k: string]: unknown;
}

/** What the new broker boots with, and what of the old one's it leaves out (each said at up). */
export interface GreenDefinitions {
    document: ExportedDefinitions;
    dropped: string[];
}

/** The dynamic shovels burrow makes for a move are named with this prefix. */
export const MOVE_SHOVEL_PREFIX = "burrow-move-";
/** Messages a move's shovel has in flight per queue (confirmed by the new broker, not yet acked on the old). */
export const MOVE_PREFETCH = 1000;
/** The old broker's node 1 on the move network (the shovels' source). */
export const BLUE_ALIAS = "burrow-blue";

/**
 * The old broker's definitions as the new one imports them at its first boot: users (with
 * their password hashes), vhosts, permissions, topic permissions, parameters, policies,
 * queues, exchanges, bindings. Left out: global parameters (the old cluster's name and
 * internal id), and on 4.x the classic-queue mirroring keys of policies (`ha-*`; mirroring
 * is gone in 4.0 and an import that has them fails): a policy left with nothing is dropped.
 */
export function definitionsForGreen(exported: ExportedDefinitions, toVersion: string): GreenDefinitions {
    const dropped: string[] = [];
    const mirroringGone = parseRabbitmqVersion(toVersion)[0] >= 4;
    const policies = (exported.policies ?? []).flatMap((p) => {
        if (!mirroringGone) return [p];
        const ha = Object.keys(p.definition ?? {}).filter((k) => k.startsWith("ha-"));
        if (ha.length === 0) return [p];
        const definition = Object.fromEntries(Object.entries(p.definition).filter(([k]) => !k.startsWith("ha-")));
        const where = `policy ${p.name} in vhost ${p.vhost}`;
        if (Object.keys(definition).length === 0) {
            dropped.push(`${where}: only classic queue mirroring (${ha.join(", ")}), which RabbitMQ 4 no longer has`);
            return [];
        }
        dropped.push(`${where}: its ${ha.join(", ")} (classic queue mirroring is gone in RabbitMQ 4)`);
        return [{ ...p, definition }];
    });
    const parameters = (exported.parameters ?? []).filter(
        (p) => !(p.component === "shovel" && (p.name ?? "").startsWith(MOVE_SHOVEL_PREFIX)),
    );
    if ((exported.global_parameters ?? []).length > 0)
        dropped.push("global parameters (the old cluster's name and internal id)");
    return {
        document: {
            users: exported.users ?? [],
            vhosts: exported.vhosts ?? [],
            permissions: exported.permissions ?? [],
            topic_permissions: exported.topic_permissions ?? [],
            parameters,
            policies,
            queues: exported.queues ?? [],
            exchanges: exported.exchanges ?? [],
            bindings: exported.bindings ?? [],
        },
        dropped,
    };
}

/** A queue of the old broker, as `rabbitmqctl list_queues name type messages durable exclusive` reports it. */
export interface BlueQueue {
    vhost: string;
    name: string;
    type: string;
    messages: number;
}

/** Where the shovel finds the old broker, as whom. */
export interface ShovelSource {
    host: string;
    port: number;
    username: string;
    password: string;
}

/** The dynamic shovel's name for a queue (a parameter name; the API path encodes it). */
export const moveShovelName = (q: { name: string }) => `${MOVE_SHOVEL_PREFIX}${q.name}`;

/**
 * The dynamic shovel that moves one queue's messages from the old broker to the queue of the
 * same name on the new one (the local node): each message is acked on the old broker only
 * once the new one confirmed it (`on-confirm`), so an interruption duplicates, never loses;
 * it moves the messages the queue holds when it starts, then deletes itself. A stream is
 * read from its first offset, as many messages as it holds.
 */
export function moveShovel(q: BlueQueue, src: ShovelSource): { vhost: string; name: string; value: object } {
    const vhost = encodeURIComponent(q.vhost);
    const user = `${encodeURIComponent(src.username)}:${encodeURIComponent(src.password)}`;
    const stream = q.type === "stream";
    return {
        vhost: q.vhost,
        name: moveShovelName(q),
        value: {
            "src-protocol": "amqp091",
            "src-uri": `amqp://${user}@${src.host}:${src.port}/${vhost}`,
            "src-queue": q.name,
            "src-delete-after": stream ? q.messages : "queue-length",
            ...(stream ? { "src-consumer-args": { "x-stream-offset": "first" } } : {}),
            "dest-protocol": "amqp091",
            "dest-uri": `amqp:///${vhost}`,
            "dest-queue": q.name,
            "ack-mode": "on-confirm",
            // At most this many messages in flight per queue: what an interruption can duplicate.
            "src-prefetch-count": MOVE_PREFETCH,
            "reconnect-delay": 1,
        },
    };
}
