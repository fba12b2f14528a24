import * as pulumi from "@pulumi/pulumi";
import { BrokerContainer, BrokerContainerArgs, clusterHostname } from "./broker-container";
import { DockerNetwork } from "./providers/docker-network";
import { dockerNodePorts } from "./settings";

export interface BrokerClusterArgs extends Omit<BrokerContainerArgs, "clusterNode" | "tls"> {
    /** Number of nodes (default 3). Node i publishes amqpPort+i-1 and managementPort+i-1. */
    readonly nodes: number;
}

/**
 * A RabbitMQ cluster in Docker: a network the stack creates, one container and volume per
 * node, the same Erlang cookie, and RabbitMQ's own peer discovery (classic config). The
 * nodes are made and boot at the same time. Node i lists node 1 and itself as peers, so
 * adding nodes never changes the existing ones, and its first boot starts once node 1's
 * Erlang VM runs, which makes node 1 the node every new node joins (awaitFirstNode in
 * rabbitmq-container.ts). An in-place restart
 * (a new image, a memory limit, ...) is one node at a time, by the container provider.
 *
 * Leaving the cluster is the deletion of a node's volume (docker-volume.ts), never of its
 * container, so a replaced container (new image, memory limit, ...) boots from its volume
 * still a member. With keepData the volumes are never deleted, so a destroyed cluster's
 * kept nodes stay one cluster. Node 1's container depends on the volumes of nodes 2..N: a
 * whole-stack destroy deletes it before them, so their deletes find no node 1 to ask and
 * forget nothing (no rabbitmqctl run per node, nothing to fail on the way out); a
 * scale-down deletes only the departing node's volume, while node 1 runs.
 */
export class BrokerCluster extends pulumi.ComponentResource {
    readonly nodes: BrokerContainer[];
    readonly networkName: pulumi.Output<string>;

    constructor(name: string, args: BrokerClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerCluster", name, {}, opts);
        const network = new DockerNetwork(
            `${name}-network`,
            { name: args.names.network, labels: { ...args.names.labels } },
            { parent: this },
        );
        this.nodes = [];
        // Node 1's container waits for (and outlives on destroy) the volumes of nodes 2..N,
        // which are made just after it in this loop.
        let otherVolumes: (volumes: pulumi.Resource[]) => void = () => undefined;
        const laterVolumes = new Promise<pulumi.Resource[]>((resolve) => (otherVolumes = resolve));
        for (let i = 1; i <= args.nodes; i++) {
            this.nodes.push(
                new BrokerContainer(
                    `${name}-${i}`,
                    {
                        ...args,
                        // Node 1 makes the admin at its first boot; the others join its cluster and take its users.
                        bootAdmin: i === 1 ? args.bootAdmin : undefined,
                        bootDefinitions: i === 1 ? args.bootDefinitions : undefined,
                        startAfter: i === 1 ? laterVolumes : undefined,
                        ...dockerNodePorts(args, i),
                        clusterNode: {
                            index: i,
                            network: network.name,
                            // Node 1 and itself: node 1 is the only node a new node may join.
                            peers: [...new Set([1, i])].map((k) => `rabbit@${clusterHostname(k)}`),
                            firstNode:
                                i > 1
                                    ? { container: args.names.container(1), nodeName: `rabbit@${clusterHostname(1)}` }
                                    : undefined,
                        },
                    },
                    { parent: this },
                ),
            );
        }
        otherVolumes(this.nodes.slice(1).map((n) => n.dataVolume));
        this.networkName = network.name;
        this.registerOutputs({ networkName: this.networkName });
    }
}
