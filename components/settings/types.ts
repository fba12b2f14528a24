// The validated settings: what parseSettings() returns and the components take. Every
// default is filled in; nothing here is raw input.
import type * as pulumi from "@pulumi/pulumi";
import { AptSource } from "../../lib/apt";
import type {
    FederationUpstreamSetSettings,
    FederationUpstreamSettings,
    OperatorPolicySettings,
    ShovelSettings,
    SuperStreamSettings,
    VhostSettings,
} from "./objects";
import { DiskFreeLimit } from "../../lib/node-config";
import { DebianRelease, ExchangeType, POLICY_TARGETS, PartitionHandling, QueueType, Target } from "./rabbitmq";

/** A secret value: text, or a Pulumi Output a library user got from a secret store. */
export type SecretInput = string | pulumi.Output<string>;

export interface Permission {
    vhost: string;
    configure: string;
    write: string;
    read: string;
}

export interface TopicPermission {
    vhost: string;
    exchange: string;
    write: string;
    read: string;
}

export interface UserSettings {
    name: string;
    /** Plain text here; components wrap it with pulumi.secret. Undefined: generated once. */
    password?: SecretInput;
    tags: string[];
    permissions: Permission[];
    topicPermissions: TopicPermission[];
    /** RabbitMQ's user limits ("max-connections", "max-channels"); absent: none. */
    limits?: Record<string, number>;
    /** A hash to import instead of a password (secret), and its algorithm (RabbitMQ's module name). */
    passwordHash?: SecretInput;
    hashingAlgorithm?: string;
}

export interface QueueSettings {
    name: string;
    vhost: string;
    type: QueueType;
    durable: boolean;
    autoDelete: boolean;
    arguments: Record<string, string | number | boolean>;
    /** Also round-trip a message through this queue in the smoke test. */
    smoke: boolean;
}

export interface ExchangeSettings {
    name: string;
    vhost: string;
    type: ExchangeType;
    durable: boolean;
    autoDelete: boolean;
    internal: boolean;
    arguments: Record<string, string | number | boolean>;
}

export interface BindingSettings {
    vhost: string;
    source: string;
    destination: string;
    destinationType: "queue" | "exchange";
    routingKey: string;
    arguments: Record<string, string | number | boolean>;
}

export interface PolicySettings {
    name: string;
    vhost: string;
    pattern: string;
    applyTo: (typeof POLICY_TARGETS)[number];
    priority: number;
    definition: Record<string, unknown>;
}

/** How burrow reaches a host for the SSH target. */
export interface SshSettings {
    host: string;
    port: number;
    user: string;
    /** Private key text (OpenSSH or PEM); a secret. */
    privateKey: string;
    /** Pinned host key, "ssh-ed25519 AAAA..." as ssh-keyscan prints it. */
    hostKey?: string;
    insecureIgnoreHostKey: boolean;
    /**
     * The broker listens only on the host's own loopback, and burrow reaches its management
     * API and AMQP port through SSH tunnels (access* are then ignored).
     */
    tunnel: boolean;
    /**
     * A RabbitMQ already on a host that this stack did not install (no /etc/burrow/owner, or
     * another stack's): false refuses it; true adopts it (destroy puts its configuration back
     * and keeps its packages and data); "purge" adopts it and lets destroy remove it.
     */
    adoptExisting: boolean | "purge";
    /** Where clients (the management API, AMQP) reach the broker: default the SSH host and the broker's ports. */
    accessHost: string;
    accessAmqpPort: number;
    accessManagementPort: number;
    /** Where the Prometheus endpoint is reached (default the broker's metricsPort); unused with metrics off. */
    accessMetricsPort: number;
    /**
     * Every host, in order: one for the single-host form (`ssh.host`, equal to the fields
     * above), or the cluster's nodes from `ssh.hosts` (the fields above then describe host 1,
     * where burrow administers the cluster).
     */
    hosts: SshHostSettings[];
}

/** One host of an SSH cluster (`burrow:ssh.hosts[i]`); user, key and host-key policy are shared. */
export interface SshHostSettings {
    host: string;
    port: number;
    hostKey?: string;
    /** RabbitMQ node name, "rabbit@<short name>"; "" = rabbit@ the host's own `hostname -s`. */
    nodeName: string;
    accessHost: string;
    accessAmqpPort: number;
    accessManagementPort: number;
    accessMetricsPort: number;
}

/** An extra apt repository for the SSH target (burrow:aptSources). */
export type AptSourceSettings = AptSource;

/** TLS listeners: AMQPS and HTTPS management with a CA the stack generates. */
export interface TlsSettings {
    /** Close the plain AMQP and HTTP listeners. */
    only: boolean;
    amqpsPort: number;
    managementPort: number;
    /** DNS names in the server certificate (IPs 127.0.0.1, ::1 and bindAddress are always in). */
    hostnames: string[];
}

export interface ClusterSettings {
    /** Number of nodes. */
    nodes: number;
    /** Replicas of each quorum queue (x-quorum-initial-group-size). */
    replicationFactor: number;
}

export interface BrokerSettings {
    target: Target;
    /** A cluster of N nodes (undefined: one node): N containers, or one node per host of `ssh.hosts`. */
    cluster?: ClusterSettings;
    /** Not errors, but worth saying at preview (e.g. an even node count). */
    warnings: string[];
    /** Docker target: TLS listeners (undefined: plain only). */
    tls?: TlsSettings;
    /** SSH target only. */
    ssh?: SshSettings;
    /** SSH target only: extra apt repositories (Debian's own are used by default). */
    aptSources: AptSourceSettings[];
    /** SSH target only: pin the rabbitmq-server package version ("" = the suite's). */
    rabbitmqVersion: string;
    debianRelease: DebianRelease;
    /** Local image the broker image builds FROM (made by scripts/bootstrap). */
    baseImage: string;
    /** Plugins enabled offline in the image; always contains rabbitmq_management. */
    plugins: string[];
    /** Host address the AMQP and management ports are published on. */
    bindAddress: string;
    amqpPort: number;
    managementPort: number;
    /** Docker target: the container's memory limit, which RabbitMQ is told it has. */
    memoryLimitMb: number;
    memoryHighWatermark: number;
    /** Open files the broker may have (before the host's hard limit caps it). */
    openFileLimit: number;
    diskFreeLimit: DiskFreeLimit;
    /** cluster_partition_handling; undefined for a single node. */
    partitionHandling?: PartitionHandling;
    /** Host port of the Prometheus endpoint (node 1; a Docker cluster's node i uses +i-1); null: metrics off. */
    metricsPort: number | null;
    /** Extra rabbitmq.conf keys, none of them burrow's own. */
    rabbitmqConf: Record<string, string>;
    /** advanced.config's text ("" = none). */
    advancedConfig: string;
    /** rabbitmq-env.conf entries, names without RABBITMQ_. */
    envConfig: Record<string, string>;
    keepData: boolean;
    admin: UserSettings;
    removeGuest: boolean;
    vhosts: string[];
    users: UserSettings[];
    queues: QueueSettings[];
    exchanges: ExchangeSettings[];
    bindings: BindingSettings[];
    policies: PolicySettings[];
    /** Every vhost of `vhosts` with its metadata and limits (issue 15's objects, settings/objects.ts). */
    vhostObjects: VhostSettings[];
    operatorPolicies: OperatorPolicySettings[];
    shovels: ShovelSettings[];
    federationUpstreams: FederationUpstreamSettings[];
    federationUpstreamSets: FederationUpstreamSetSettings[];
    superStreams: SuperStreamSettings[];
    /** Global runtime parameters by name (cluster_name). */
    globalParameters: Record<string, string>;
    smokeQueue: string;
    /** Consent to lose data in this up: "queue <label>", "vhost <label>", or "*" for anything. */
    allowDataLoss: string[];
}
