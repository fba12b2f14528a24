import * as pulumi from "@pulumi/pulumi";
import { SshTarget } from "../lib/ssh";
import { BrokerHost, BrokerHostArgs } from "./broker-host";

export interface BrokerHostClusterArgs extends Omit<BrokerHostArgs, "ssh" | "loopbackOnly" | "clusterNode"> {
    /**
     * The hosts, in order (at least one): how burrow reaches each (secret: it holds the key)
     * and its RabbitMQ node name ("" = rabbit@ the host's `hostname -s`). The hosts must
     * resolve each other's node names and reach each other on ports 4369 and 25672.
     */
    readonly hosts: ReadonlyArray<{ readonly ssh: pulumi.Input<SshTarget>; readonly nodeName: string }>;
}

/**
 * A RabbitMQ cluster on SSH hosts: the same install on every host, the same Erlang cookie,
 * and RabbitMQ's own peer discovery (classic config). The hosts are installed, and their
 * nodes boot, at the same time; a new node lists host 1's node and itself, and its first boot
 * starts once host 1's Erlang VM runs, so every new node joins host 1's cluster
 * (remote-rabbitmq.ts), and adding hosts leaves the existing ones unchanged. Updates that
 * restart nodes are one host at a time (the provider).
 * Removing the last host purges it and has host 1 forget its node (not with keepData).
 */
export class BrokerHostCluster extends pulumi.ComponentResource {
    readonly nodes: BrokerHost[];
    /** Each node's name as its host resolved it, in host order. */
    readonly nodeNames: pulumi.Output<string[]>;

    constructor(name: string, args: BrokerHostClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerHostCluster", name, {}, opts);
        const { hosts, ...common } = args;
        if (hosts.length === 0) throw new Error("BrokerHostCluster needs at least one host (`burrow:ssh.hosts`)");
        this.nodes = [];
        for (let i = 1; i <= hosts.length; i++) {
            this.nodes.push(
                new BrokerHost(
                    `${name}-${i}`,
                    {
                        ...common,
                        ssh: hosts[i - 1].ssh,
                        clusterNode: {
                            nodeName: hosts[i - 1].nodeName,
                            earlier: hosts.slice(0, i - 1),
                            forgetVia: i > 1 ? hosts[0].ssh : undefined,
                        },
                    },
                    { parent: this },
                ),
            );
        }
        this.nodeNames = pulumi.all(this.nodes.map((n) => n.node));
        this.registerOutputs({ nodeNames: this.nodeNames });
    }
}
