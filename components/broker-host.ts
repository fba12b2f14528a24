import * as pulumi from "@pulumi/pulumi";
import { HostNodeConfig } from "../lib/host-node-config";
import { SshTarget } from "../lib/ssh";
import { RemoteRabbitmq } from "./providers/remote-rabbitmq";
import { AptSourceSettings } from "./settings";

export interface BrokerHostArgs {
    /** Host, port, user, private key (secret) and the pinned host key. */
    readonly ssh: pulumi.Input<SshTarget>;
    /** Extra apt repositories with their signing keys (default none: Debian's own packages). */
    readonly aptSources: AptSourceSettings[];
    /** rabbitmq-server package version to pin ("" = the suite's). */
    readonly rabbitmqVersion: string;
    /** Plugins to enable; must include rabbitmq_management. */
    readonly plugins: string[];
    /** Listener ports on the host. */
    readonly amqpPort: number;
    readonly managementPort: number;
    readonly memoryHighWatermark: number;
    /**
     * The production settings (open-file limit, disk limit, partition handling, metrics port)
     * and the user's rabbitmq.conf keys, advanced.config and rabbitmq-env.conf entries.
     */
    readonly node: Omit<HostNodeConfig, "memoryHighWatermark" | "partitionHandling"> & {
        readonly partitionHandling?: string;
    };
    /** Secret. */
    readonly erlangCookie: pulumi.Input<string>;
    /**
     * On destroy remove burrow's packages but keep /var/lib/rabbitmq and the marker, so the next
     * `up` of this stack finds its data (default false: purge).
     */
    readonly keepData: boolean;
    /** The stack's owner id (lib/ownership.ts): a host marked by another owner is not this stack's. */
    readonly owner: string;
    /** The stack's name: a destroy reads its config for keepData (lib/keep-data.ts). */
    readonly stack: string;
    /**
     * A RabbitMQ on the host that this stack did not install: refused (false, the default),
     * adopted and left on destroy with its configuration put back (true), or adopted and
     * removed on destroy ("purge").
     */
    readonly adoptExisting?: boolean | "purge";
    /** Consent to lose data (burrow:allowDataLoss): "node <name>" allows renaming that node. */
    readonly allowDataLoss?: string[];
    /** Listen on the host's loopback only; clients come through SSH tunnels (default false). */
    readonly loopbackOnly?: boolean;
    /**
     * Cluster mode: this host's node name ("" = rabbit@ its `hostname -s`), the hosts before
     * it (how to reach each and its node name: it joins their cluster at first boot, once host
     * 1's node runs), and host 1, through which it is forgotten when removed (none for host 1).
     * Default: a single broker.
     */
    readonly clusterNode?: {
        readonly nodeName: string;
        readonly earlier: ReadonlyArray<{ readonly ssh: pulumi.Input<SshTarget>; readonly nodeName: string }>;
        readonly forgetVia?: pulumi.Input<SshTarget>;
    };
}

/** RabbitMQ installed on a Debian-like VM or server over SSH, configured, started and ready. */
export class BrokerHost extends pulumi.ComponentResource {
    readonly nodeId: pulumi.Output<string>;
    /** Cluster mode: the RabbitMQ node name as the host resolved it ("" for a single broker). */
    readonly node: pulumi.Output<string>;
    readonly rabbitmqVersion: pulumi.Output<string>;
    readonly erlangVersion: pulumi.Output<string>;
    /** The node's open-file limit, read from /proc/<pid>/limits after it started. */
    readonly openFiles: pulumi.Output<number>;

    constructor(name: string, args: BrokerHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerHost", name, {}, opts);
        const c = args.clusterNode;
        const node = new RemoteRabbitmq(
            `${name}-rabbitmq`,
            {
                ssh: pulumi.secret(args.ssh),
                aptSources: args.aptSources,
                rabbitmqVersion: args.rabbitmqVersion,
                plugins: args.plugins,
                amqpPort: args.amqpPort,
                managementPort: args.managementPort,
                memoryHighWatermark: args.memoryHighWatermark,
                nodeConfig: pulumi.secret({ ...args.node, partitionHandling: args.node.partitionHandling ?? "" }),
                erlangCookie: pulumi.secret(args.erlangCookie),
                keepData: args.keepData,
                owner: args.owner,
                stack: args.stack,
                adoptExisting: args.adoptExisting ?? false,
                allowDataLoss: args.allowDataLoss ?? [],
                loopbackOnly: args.loopbackOnly ?? false,
                cluster: c
                    ? pulumi.secret(
                          pulumi
                              .all([pulumi.all(c.earlier.map((e) => e.ssh)), c.forgetVia ?? null])
                              .apply(([ssh, forgetVia]) => ({
                                  nodeName: c.nodeName,
                                  earlier: ssh.map((t, k) => ({ ssh: t, nodeName: c.earlier[k].nodeName })),
                                  forgetVia,
                              })),
                      )
                    : null,
            },
            { parent: this },
        );
        this.nodeId = node.nodeId;
        this.node = node.node;
        this.rabbitmqVersion = node.installedRabbitmqVersion;
        this.erlangVersion = node.installedErlangVersion;
        this.openFiles = node.openFiles;
        this.registerOutputs({ rabbitmqVersion: this.rabbitmqVersion, erlangVersion: this.erlangVersion });
    }
}
