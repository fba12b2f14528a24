// RabbitMQ's own rules for the objects of issue 15, as tables: vhost and user limits, the
// keys an operator policy may set, password hashing algorithms, shovel and federation
// settings, global parameters. The value of each operator-policy key is checked by the
// policy-key table of rabbitmq.ts (POLICY_KEYS, per RabbitMQ version); objects.ts reads these.
import { ValueCheck } from "./rabbitmq";

/** Vhost limits (`rabbitmqctl set_vhost_limits`): a whole number; 0 refuses every connection or queue. */
export const VHOST_LIMITS = ["max-connections", "max-queues"] as const;
/** User limits (`rabbitmqctl set_user_limits`). */
export const USER_LIMITS = ["max-connections", "max-channels"] as const;

/** Password hashing algorithms a user's hash may be imported with (RabbitMQ's module names), and each hash's length. */
export const HASHING_ALGORITHMS: Record<string, { digestBytes: number }> = {
    rabbit_password_hashing_sha256: { digestBytes: 32 },
    rabbit_password_hashing_sha512: { digestBytes: 64 },
    rabbit_password_hashing_md5: { digestBytes: 16 },
};
/** RabbitMQ's default hashing algorithm (and the one burrow hashes passwords with). */
export const DEFAULT_HASHING_ALGORITHM = "rabbit_password_hashing_sha256";
/** A RabbitMQ password hash: a 4-byte salt, then the digest. */
export const HASH_SALT_BYTES = 4;

/**
 * The keys an operator policy may set: RabbitMQ refuses any other key ("are not recognised
 * policy settings"). Seen on RabbitMQ 4.0.5 (trixie) by setting each through the management
 * API: these are accepted, `ha-mode`, `max-age` and the rest refused. Their values, and the
 * version a key arrived in (target-group-size: 4.0), come from POLICY_KEYS in rabbitmq.ts.
 * max-in-memory-length/-bytes are accepted but do nothing on 4.x.
 */
export const OPERATOR_POLICY_KEYS = [
    "expires",
    "message-ttl",
    "max-length",
    "max-length-bytes",
    "max-in-memory-length",
    "max-in-memory-bytes",
    "delivery-limit",
    "overflow",
    "queue-version",
    "target-group-size",
] as const;
/** Operator policies apply to queues only. */
export const OPERATOR_POLICY_TARGETS = ["queues", "classic_queues", "quorum_queues", "streams"] as const;

/** Shovel and federation protocols and acknowledgement modes. */
export const SHOVEL_PROTOCOLS = ["amqp091", "amqp10"] as const;
export const ACK_MODES = ["on-confirm", "on-publish", "no-ack"] as const;

/** Global runtime parameters burrow sets, with a value check. */
export const GLOBAL_PARAMETERS: Record<string, ValueCheck> = {
    cluster_name: {
        check: (v) => typeof v === "string" && v.length > 0 && Buffer.byteLength(v) <= 255,
        expect: "a non-empty name of at most 255 bytes",
    },
};

/** Plugins a kind of object needs; burrow enables them by itself when one is declared. */
export const SHOVEL_PLUGINS = ["rabbitmq_shovel", "rabbitmq_shovel_management"];
export const FEDERATION_PLUGINS = ["rabbitmq_federation", "rabbitmq_federation_management"];

/** Policy keys that point at federation upstreams. */
export const FEDERATION_POLICY_KEYS = ["federation-upstream", "federation-upstream-set"] as const;

/** Default partitions of a super stream (as `rabbitmq-streams add_super_stream` without --partitions). */
export const SUPER_STREAM_PARTITIONS = 3;
