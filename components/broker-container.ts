import * as pulumi from "@pulumi/pulumi";
import { DockerVolume } from "./providers/docker-volume";
import { LiveSettings } from "./providers/live-settings";
import { RabbitmqContainer } from "./providers/rabbitmq-container";
import { BootAdmin } from "../lib/boot-definitions";
import { DiskFreeLimit } from "../lib/node-config";
import { PartitionHandling, TlsSettings } from "./settings";
import { DockerNames, NODE_HOSTNAME, clusterHostname } from "./docker-names";

export interface BrokerContainerArgs {
    /** Image id to run (from BrokerImage). */
    readonly image: pulumi.Input<string>;
    /** The names and labels of the Docker objects (see docker-names.ts). */
    readonly names: DockerNames;
    /** Host address the ports are published on (default 127.0.0.1). */
    readonly bindAddress: string;
    readonly amqpPort: number;
    readonly managementPort: number;
    /** Host port of the Prometheus endpoint; null: metrics off. */
    readonly metricsPort: number | null;
    readonly memoryLimitMb: number;
    /** Changed on the running node, without a restart (like diskFreeLimit). */
    readonly memoryHighWatermark: number;
    readonly diskFreeLimit: DiskFreeLimit;
    /** The container's open-file limit (already capped at the engine's). */
    readonly openFileLimit: number;
    /** A cluster's cluster_partition_handling (default none: a single node). */
    readonly partitionHandling?: PartitionHandling;
    /** The user's extra rabbitmq.conf keys, advanced.config and rabbitmq-env.conf entries (kept secret). */
    readonly rabbitmqConf: Record<string, string>;
    readonly advancedConfig: string;
    readonly envConfig: Record<string, string>;
    /** Secret. */
    readonly erlangCookie: pulumi.Input<string>;
    /** Keep the data volume on destroy (default false). */
    readonly keepData: boolean;
    /** How long to wait for "Starting broker... completed" (default 180 s). */
    readonly readyTimeoutMs?: number;
    /**
     * Cluster mode: this node's place in the cluster. Docker names get a `-<index>` suffix,
     * the hostname is `rabbit-<index>` (an alias on the stack's network), and the node may
     * join one of `peers` (node 1) at first boot. Default: a single node.
     */
    readonly clusterNode?: {
        readonly index: number;
        readonly network: pulumi.Input<string>;
        readonly peers: string[];
        /** Node 2..N: the first node, whose cluster this node joins at its first boot (it starts once that node has booted). */
        readonly firstNode?: { readonly container: pulumi.Input<string>; readonly nodeName: string };
    };
    /** The admin user, made by the node itself at its first boot (secret); default none (guest as usual). */
    readonly bootAdmin?: pulumi.Input<BootAdmin>;
    /**
     * A whole definitions document node imports at its first boot instead of bootAdmin (secret):
     * the old broker's, for the new broker of a blue-green upgrade; null: none.
     */
    readonly bootDefinitions?: pulumi.Input<string | null>;
    /** The RabbitMQ version the image runs (a new one: the upgrade checks before the node stops). */
    readonly rabbitmqVersion: pulumi.Input<string>;
    /**
     * What the container starts after and, on destroy, is deleted before (a cluster's node 1:
     * the other nodes' volumes). Default none.
     */
    readonly startAfter?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** TLS listeners (AMQPS, HTTPS management) with these certificates; default none. */
    readonly tls?: {
        readonly settings: TlsSettings;
        readonly caCert: pulumi.Input<string>;
        readonly serverCert: pulumi.Input<string>;
        /** Secret. */
        readonly serverKey: pulumi.Input<string>;
    };
}

export { NODE_HOSTNAME, clusterHostname };

/**
 * The broker container: ports on 127.0.0.1 by default, /var/lib/rabbitmq on a named volume,
 * a fixed node name, restart policy, memory limit and watermark, open-file limit, disk
 * limit, Prometheus endpoint, RabbitMQ's staged health checks, and a readiness wait.
 */
export class BrokerContainer extends pulumi.ComponentResource {
    readonly containerName: pulumi.Output<string>;
    readonly containerId: pulumi.Output<string>;
    readonly volumeName: pulumi.Output<string>;
    /** The data volume (a cluster orders node 1's container before the other volumes on destroy). */
    readonly dataVolume: DockerVolume;
    readonly readyMs: pulumi.Output<number>;

    constructor(name: string, args: BrokerContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerContainer", name, {}, opts);
        const labels = { ...args.names.labels };
        const c = args.clusterNode;
        const base = args.names.container(c?.index);
        const hostname = c ? clusterHostname(c.index) : NODE_HOSTNAME;
        const volume = new DockerVolume(
            `${name}-data`,
            {
                name: args.names.volume(c?.index),
                labels,
                // Deleting the volume of node 2..N is the node leaving the cluster for good.
                clusterNode:
                    c && c.index > 1
                        ? args.names.container(1).apply((forgetVia) => ({ nodeName: `rabbit@${hostname}`, forgetVia }))
                        : null,
            },
            {
                parent: this,
                retainOnDelete: args.keepData,
            },
        );
        const container = new RabbitmqContainer(
            `${name}-node`,
            {
                name: base,
                image: args.image,
                hostname,
                nodeName: `rabbit@${hostname}`,
                bindAddress: args.bindAddress,
                amqpPort: args.amqpPort,
                managementPort: args.managementPort,
                metricsPort: args.metricsPort,
                volume: volume.name,
                memoryLimitMb: args.memoryLimitMb,
                memoryHighWatermark: args.memoryHighWatermark,
                diskFreeLimit: args.diskFreeLimit,
                openFileLimit: args.openFileLimit,
                partitionHandling: args.partitionHandling ?? "",
                // They may hold passwords (an LDAP bind, a TLS key's): encrypted in the state like the cookie.
                rabbitmqConf: pulumi.secret(args.rabbitmqConf),
                advancedConfig: pulumi.secret(args.advancedConfig),
                envConfig: pulumi.secret(args.envConfig),
                erlangCookie: pulumi.secret(args.erlangCookie),
                labels,
                readyTimeoutMs: args.readyTimeoutMs ?? 180_000,
                cluster: c
                    ? pulumi.output(c.network).apply((network) => ({
                          network,
                          alias: hostname,
                          peers: c.peers,
                      }))
                    : null,
                tls: args.tls
                    ? pulumi.secret(
                          pulumi
                              .all([args.tls.caCert, args.tls.serverCert, args.tls.serverKey])
                              .apply(([caCert, serverCert, serverKey]) => ({
                                  only: args.tls!.settings.only,
                                  amqpsPort: args.tls!.settings.amqpsPort,
                                  managementPort: args.tls!.settings.managementPort,
                                  caCert,
                                  serverCert,
                                  serverKey,
                              })),
                      )
                    : null,
                bootAdmin: args.bootAdmin ? pulumi.secret(args.bootAdmin) : null,
                bootDefinitions: args.bootDefinitions
                    ? pulumi.secret(pulumi.output(args.bootDefinitions).apply((d) => d ?? null))
                    : null,
                rabbitmqVersion: args.rabbitmqVersion,
                firstNode: c?.firstNode
                    ? pulumi.output(c.firstNode.container).apply((container) => ({
                          container,
                          nodeName: c.firstNode!.nodeName,
                      }))
                    : null,
            },
            // No deleteBeforeReplace option: the provider's diff decides (the same name: delete first;
            // a new generation's name: the old broker stays until its messages are moved).
            { parent: this, dependsOn: args.startAfter },
        );
        // Changed on the running node, without a restart (the container only starts with them).
        new LiveSettings(
            `${name}-live`,
            {
                container: container.name,
                containerId: container.containerId,
                memoryHighWatermark: args.memoryHighWatermark,
                diskFreeLimit: args.diskFreeLimit,
            },
            { parent: this },
        );
        this.dataVolume = volume;
        this.containerName = container.name;
        this.containerId = container.containerId;
        this.volumeName = volume.name;
        this.readyMs = container.readyMs;
        this.registerOutputs({
            containerName: this.containerName,
            containerId: this.containerId,
            volumeName: this.volumeName,
        });
    }
}
