// RabbitMQ's own rules, as tables: what the broker accepts (queue and exchange types, user
// tags, queue arguments, policy targets) and which Debian release brings which version.
// The checks in topology.ts read these; nothing else decides them.

export const AMQP_PORT = 5672;
export const MANAGEMENT_PORT = 15672;

export const DEBIAN_RELEASES = ["trixie", "bookworm", "forky"] as const;
export type DebianRelease = (typeof DEBIAN_RELEASES)[number];

/** What each Debian release brings (Debian's own packages; the broker image and SSH hosts install these). */
export const RELEASE_VERSIONS: Record<DebianRelease, { debian: string; rabbitmq: string; erlang: string }> = {
    bookworm: { debian: "12", rabbitmq: "3.10.8", erlang: "25" },
    trixie: { debian: "13", rabbitmq: "4.0.5", erlang: "27" },
    forky: { debian: "14 (testing)", rabbitmq: "4.3.6", erlang: "29" },
};
export const TARGETS = ["docker", "ssh"] as const;
export type Target = (typeof TARGETS)[number];
export const USER_TAGS = ["administrator", "monitoring", "policymaker", "management", "impersonator"] as const;
export const QUEUE_TYPES = ["classic", "quorum", "stream"] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];
export const EXCHANGE_TYPES = ["direct", "fanout", "topic", "headers"] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];
export const POLICY_TARGETS = ["queues", "classic_queues", "quorum_queues", "streams", "exchanges", "all"] as const;
/** Exchanges every vhost has; they may be binding sources without being declared. */
export const BUILT_IN_EXCHANGES = ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"];

/** Queue arguments burrow knows, with the queue types they apply to and a value check. */
export interface ArgCheck {
    types: QueueType[];
    check: (v: unknown) => boolean;
    expect: string;
}
const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const str = (v: unknown) => typeof v === "string";
const ALL: QueueType[] = ["classic", "quorum", "stream"];
export const QUEUE_ARGUMENTS: Record<string, ArgCheck> = {
    "x-message-ttl": { types: ["classic", "quorum"], check: nonNegInt, expect: "an integer >= 0 (milliseconds)" },
    "x-expires": { types: ["classic", "quorum"], check: posInt, expect: "an integer > 0 (milliseconds)" },
    "x-max-length": { types: ALL, check: nonNegInt, expect: "an integer >= 0" },
    "x-max-length-bytes": { types: ALL, check: nonNegInt, expect: "an integer >= 0" },
    "x-overflow": {
        types: ["classic", "quorum"],
        check: (v) => ["drop-head", "reject-publish", "reject-publish-dlx"].includes(v as string),
        expect: "one of drop-head, reject-publish, reject-publish-dlx",
    },
    "x-dead-letter-exchange": { types: ["classic", "quorum"], check: str, expect: "an exchange name" },
    "x-dead-letter-routing-key": { types: ["classic", "quorum"], check: str, expect: "a routing key" },
    "x-dead-letter-strategy": {
        types: ["quorum"],
        check: (v) => ["at-most-once", "at-least-once"].includes(v as string),
        expect: "at-most-once or at-least-once",
    },
    "x-max-priority": {
        types: ["classic"],
        check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 255,
        expect: "an integer from 1 to 255",
    },
    "x-single-active-consumer": {
        types: ["classic", "quorum"],
        check: (v) => typeof v === "boolean",
        expect: "true or false",
    },
    "x-delivery-limit": { types: ["quorum"], check: nonNegInt, expect: "an integer >= 0" },
    "x-quorum-initial-group-size": { types: ["quorum"], check: posInt, expect: "an integer > 0" },
    "x-queue-leader-locator": {
        types: ["quorum", "stream"],
        check: (v) => ["client-local", "balanced"].includes(v as string),
        expect: "client-local or balanced",
    },
    "x-max-age": {
        types: ["stream"],
        check: (v) => typeof v === "string" && /^\d+(Y|M|D|h|m|s)$/.test(v),
        expect: 'a duration such as "7D", "12h" or "30m"',
    },
    "x-stream-max-segment-size-bytes": { types: ["stream"], check: posInt, expect: "an integer > 0" },
};
