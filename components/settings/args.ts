// The broker's input, typed: what a library user passes to `new RabbitmqBroker(name, args)`
// and what stack config holds under `burrow:<key>` (the stack program passes config through
// unchanged). Every field is optional; the defaults are the ones stated here, filled in by
// parseSettings(), which also checks every value and names the key of each problem.
import type {
    FederationUpstreamArgs,
    FederationUpstreamSetArgs,
    GlobalParametersArgs,
    OperatorPolicyArgs,
    ShovelArgs,
    SuperStreamArgs,
    UserLimitsArgs,
    VhostArgs,
} from "./objects";
import {
    DebianRelease,
    ExchangeType,
    POLICY_TARGETS,
    PartitionHandling,
    QueueType,
    Target,
    USER_TAGS,
} from "./rabbitmq";
import { SecretInput } from "./types";

export type UserTag = (typeof USER_TAGS)[number];
/** Queue/exchange/binding argument values. */
export type ArgumentValue = string | number | boolean;

/** A vhost permission, as `rabbitmqctl set_permissions` takes it. */
export interface PermissionArgs {
    /** Default "/". Must be "/" or one of `vhosts`. */
    readonly vhost?: string;
    /** Regular expressions over resource names; default ".*" each ("" grants nothing). */
    readonly configure?: string;
    readonly write?: string;
    readonly read?: string;
}

/** A topic permission (`rabbitmqctl set_topic_permissions`). */
export interface TopicPermissionArgs {
    /** Default "/". */
    readonly vhost?: string;
    /** Default "amq.topic". */
    readonly exchange?: string;
    /** Regular expressions over routing keys; default ".*". */
    readonly write?: string;
    readonly read?: string;
}

/** A user besides the admin. */
export interface UserArgs {
    readonly name: string;
    /** Default: generated once and kept (stack output `userPasswords`). At least 8 characters. */
    readonly password?: SecretInput;
    /** Default none. */
    readonly tags?: UserTag[];
    /** Default none. */
    readonly permissions?: PermissionArgs[];
    /** Default none. */
    readonly topicPermissions?: TopicPermissionArgs[];
    /** {"max-connections": 10, "max-channels": 50}; default none (unlimited). */
    readonly limits?: UserLimitsArgs;
    /**
     * Import the user with this hash instead of a password (a secret), as RabbitMQ stores it:
     * base64 of a 4-byte salt and the digest. Excludes `password`.
     */
    readonly passwordHash?: SecretInput;
    /** The hash's algorithm: default "rabbit_password_hashing_sha256"; or ..._sha512, ..._md5. */
    readonly hashingAlgorithm?: string;
}

/** A queue; a plain string is a queue of that name with every default. */
export interface QueueArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** Default "classic", or "quorum" in a cluster. */
    readonly type?: QueueType;
    /** Default true (quorum queues and streams are always durable). */
    readonly durable?: boolean;
    /** Default false. */
    readonly autoDelete?: boolean;
    /** x-arguments such as {"x-message-ttl": 60000}; default none. Checked against the queue type. */
    readonly arguments?: Record<string, ArgumentValue>;
    /** Also round-trip a message through this queue in the smoke test; default false. */
    readonly smoke?: boolean;
}

export interface ExchangeArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    readonly type: ExchangeType;
    /** Default true. */
    readonly durable?: boolean;
    /** Default false. */
    readonly autoDelete?: boolean;
    /** Default false. */
    readonly internal?: boolean;
    readonly arguments?: Record<string, ArgumentValue>;
}

export interface BindingArgs {
    /** Default "/". */
    readonly vhost?: string;
    /** An exchange of `exchanges` in the same vhost, or a built-in amq.* exchange. */
    readonly source: string;
    /** A queue (or exchange) declared in the same vhost. */
    readonly destination: string;
    /** Default "queue". */
    readonly destinationType?: "queue" | "exchange";
    /** Default "". */
    readonly routingKey?: string;
    readonly arguments?: Record<string, ArgumentValue>;
}

export interface PolicyArgs {
    readonly name: string;
    /** Default "/". */
    readonly vhost?: string;
    /** Regular expression over queue/exchange names. */
    readonly pattern: string;
    /** Default "queues". */
    readonly applyTo?: (typeof POLICY_TARGETS)[number];
    /** Default 0. */
    readonly priority?: number;
    /** The policy's keys, e.g. {"max-length": 1000}. */
    readonly definition: Record<string, unknown>;
}

/** One host of an SSH cluster; user, key and host-key policy are shared from `ssh`. */
export interface SshHostArgs {
    readonly host: string;
    /** Default `ssh.port`, else 22. */
    readonly port?: number;
    /** Pinned host key as ssh-keyscan prints it ("ssh-ed25519 AAAA..."); required unless ssh.insecureIgnoreHostKey. */
    readonly hostKey?: string;
    /** RabbitMQ node name "rabbit@<short name>"; default rabbit@<the host's hostname -s>. */
    readonly nodeName?: string;
    /** Where burrow and clients reach this node; default the host and the broker's ports. */
    readonly accessHost?: string;
    readonly accessAmqpPort?: number;
    readonly accessManagementPort?: number;
    /** Default the broker's metricsPort. */
    readonly accessMetricsPort?: number;
}

/** How burrow reaches the host(s) of the SSH target. Give `host` (one broker) or `hosts` (a cluster). */
export interface SshArgs {
    readonly host?: string;
    /** With `cluster`: one node per host. Excludes host, hostKey and the access* fields here. */
    readonly hosts?: SshHostArgs[];
    /** Default 22. */
    readonly port?: number;
    /** Default "root" (another user needs passwordless sudo). */
    readonly user?: string;
    /** Private key text (OpenSSH or PEM); a secret. */
    readonly privateKey: string;
    /** Pinned host key; required unless insecureIgnoreHostKey. */
    readonly hostKey?: string;
    /** Default false. */
    readonly insecureIgnoreHostKey?: boolean;
    /** Broker on the host's loopback only, reached through SSH tunnels; default false. Excludes `hosts`. */
    readonly tunnel?: boolean;
    /**
     * A RabbitMQ already on a host that this stack did not install: default false (refused);
     * true adopts it (destroy puts its configuration back, keeps packages and data); "purge"
     * adopts it and lets destroy remove it.
     */
    readonly adoptExisting?: boolean | "purge";
    /** Default `host`, the broker's amqpPort, managementPort and metricsPort. */
    readonly accessHost?: string;
    readonly accessAmqpPort?: number;
    readonly accessManagementPort?: number;
    readonly accessMetricsPort?: number;
}

export interface AptSourceArgs {
    /** Lowercase letters, digits, dashes: names the .list and key files. */
    readonly name: string;
    readonly uri: string;
    readonly suite: string;
    /** Default ["main"]. */
    readonly components?: string[];
    /** ASCII-armored signing key; default "" (the host already trusts the suite). */
    readonly key?: string;
}

export interface TlsArgs {
    /** Close the plain listeners; default false. */
    readonly only?: boolean;
    /** Default 5671. */
    readonly amqpsPort?: number;
    /** Default 15671. */
    readonly managementPort?: number;
    /** DNS names in the server certificate; default ["localhost"]. */
    readonly hostnames?: string[];
}

export interface ClusterArgs {
    /** Default 3 (Docker); on the SSH target the number of `ssh.hosts`. */
    readonly nodes?: number;
    /** Replicas of each quorum queue; default min(3, nodes). */
    readonly replicationFactor?: number;
}

/** Everything a broker can be told; each key is also `burrow:<key>` in stack config. */
export interface BrokerArgs {
    /** Where the broker runs: "docker" (default) or "ssh" (a host, or a cluster of hosts). */
    readonly target?: Target;
    /**
     * Default "trixie" (RabbitMQ 4.0.5, Erlang 27); "bookworm" is 3.10.8, Erlang 25; "forky"
     * is 4.3.6, Erlang 29. Policies and queue arguments are checked against its RabbitMQ (on
     * the SSH target give the hosts' release, or pin `rabbitmqVersion`).
     */
    readonly debianRelease?: DebianRelease;
    /** Local image the broker image builds FROM; default burrow/debian:<debianRelease>. */
    readonly baseImage?: string;
    /** Extra plugins; rabbitmq_management is always on. Default none. */
    readonly plugins?: string[];
    /** Host address the ports are published on; default 127.0.0.1. */
    readonly bindAddress?: string;
    /** Default 5672. In a Docker cluster node i uses amqpPort+i-1. */
    readonly amqpPort?: number;
    /** Default 15672. In a Docker cluster node i uses managementPort+i-1. */
    readonly managementPort?: number;
    /**
     * Docker target: the container's memory limit in MB, and what RabbitMQ is told it has;
     * default 1024. On SSH hosts RabbitMQ is told the host's memory (or its cgroup limit).
     */
    readonly memoryLimitMb?: number;
    /** Relative memory watermark, 0.1-0.9; default 0.6. Changed without a restart. */
    readonly memoryHighWatermark?: number;
    /**
     * Open files the broker may have; default 65536 (RabbitMQ's production checklist). Capped
     * at the host's hard limit, with a warning at preview/up when that is below 65536.
     */
    readonly openFileLimit?: number;
    /**
     * Free disk space below which RabbitMQ blocks publishers: a number is a multiple of the
     * memory it has (default 1.0, `disk_free_limit.relative`), a size ("2GB", "500MB", bytes)
     * is absolute. Changed without a restart.
     */
    readonly diskFreeLimit?: number | string;
    /**
     * A cluster's cluster_partition_handling: default pause_minority (RabbitMQ's advice from 3
     * nodes; with 2 nodes a partition pauses both, autoheal keeps them serving). Restarts the nodes.
     */
    readonly partitionHandling?: PartitionHandling;
    /**
     * Host port of the Prometheus endpoint (rabbitmq_prometheus, stack output `metricsUrl`);
     * default managementPort + 20 (15692); false turns metrics off. A Docker cluster's node i
     * uses metricsPort+i-1.
     */
    readonly metricsPort?: number | false;
    /**
     * Extra rabbitmq.conf keys, e.g. {"heartbeat": 30}; default none. Keys burrow writes itself
     * are refused, naming the burrow key to use. Checked by RabbitMQ's own config loader before
     * a running node is restarted with them.
     */
    readonly rabbitmqConf?: Record<string, string | number | boolean>;
    /**
     * advanced.config (Erlang terms), e.g. "[{rabbit, [{consumer_timeout, 3600000}]}]."; default
     * none. Checked by RabbitMQ's own config loader before a running node is restarted with it.
     */
    readonly advancedConfig?: string;
    /** rabbitmq-env.conf entries, e.g. {"SERVER_ADDITIONAL_ERL_ARGS": "+S 2:2"}; default none. */
    readonly envConfig?: Record<string, string | number>;
    /** Keep the broker's data (queues, messages, users) on destroy; default false. */
    readonly keepData?: boolean;
    /** Default "admin". */
    readonly adminUser?: string;
    /** Default: generated once and kept (stack output `adminPassword`). */
    readonly adminPassword?: SecretInput;
    /** Default ["administrator"]; must include administrator. */
    readonly adminTags?: UserTag[];
    /** Default {"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}. */
    readonly adminPermissions?: PermissionArgs;
    /** No guest user; default true. false keeps it (loopback-only, as RabbitMQ ships it). */
    readonly removeGuest?: boolean;
    /** Extra vhosts: names, or objects with description, tags, defaultQueueType and limits; default none. */
    readonly vhosts?: Array<string | VhostArgs>;
    /** Users besides the admin; default none. */
    readonly users?: UserArgs[];
    /** Default none. */
    readonly queues?: Array<string | QueueArgs>;
    /** Default none. */
    readonly exchanges?: ExchangeArgs[];
    /** Default none. */
    readonly bindings?: BindingArgs[];
    /** Default none. */
    readonly policies?: PolicyArgs[];
    /** Operator policies (RabbitMQ's restricted keys); default none. */
    readonly operatorPolicies?: OperatorPolicyArgs[];
    /** Dynamic shovels; rabbitmq_shovel is enabled when there is one. Default none. */
    readonly shovels?: ShovelArgs[];
    /** Federation upstreams; rabbitmq_federation is enabled when there is one. Default none. */
    readonly federationUpstreams?: FederationUpstreamArgs[];
    /** Named sets of upstreams; default none. */
    readonly federationUpstreamSets?: FederationUpstreamSetArgs[];
    /** Super streams (partitioned streams), each one object; default none. */
    readonly superStreams?: SuperStreamArgs[];
    /** Global runtime parameters such as cluster_name; default none. */
    readonly globalParameters?: GlobalParametersArgs;
    /** The durable queue of the smoke test; default "burrow.smoke". */
    readonly smokeQueue?: string;
    /** The SSH target's host(s); required with target "ssh". */
    readonly ssh?: SshArgs;
    /** SSH target: extra apt repositories; default none (Debian's own packages). */
    readonly aptSources?: AptSourceArgs[];
    /** SSH target: pin the rabbitmq-server package version; default the suite's. */
    readonly rabbitmqVersion?: string;
    /** AMQPS and HTTPS management with a CA the stack generates; default none. Docker target. */
    readonly tls?: TlsArgs;
    /** A cluster: a node count, true (3 nodes), or {nodes, replicationFactor}; default none (one node). */
    readonly cluster?: number | boolean | ClusterArgs;
    /**
     * Consent to changes that lose messages, for the next up only: a list of what the refusal
     * named ("queue shop/orders", "vhost legacy"), or true for anything. Default none: such a
     * change is refused at preview. Remove it once applied.
     */
    readonly allowDataLoss?: boolean | string[];
}
