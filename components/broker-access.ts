import * as pulumi from "@pulumi/pulumi";
import { ManagementApi } from "../lib/management-client";
import { AdminUser, NodeTransport } from "./providers/rabbitmqctl-admin";

export interface BrokerAccessArgs {
    /** How rabbitmqctl reaches the node: `docker exec` into its container, or SSH to its host. */
    readonly transport: pulumi.Input<NodeTransport>;
    /** Identity of the node (container id, or install id on a host): a new node gets the user again. */
    readonly nodeId: pulumi.Input<string>;
    /** Admin user name (default admin). */
    readonly username: string;
    /** Secret. */
    readonly password: pulumi.Input<string>;
    /** User tags (default ["administrator"]). */
    readonly tags: string[];
    /** Delete the `guest` user (default true). */
    readonly removeGuest: boolean;
    /** The management API (secret): when the node made the user at its first boot, no rabbitmqctl run is needed. */
    readonly api?: pulumi.Input<ManagementApi>;
}

/**
 * The seed tutorial's `rabbitmqctl add_user` and `set_user_tags`, plus removing `guest`.
 * The admin's permissions are granted by BrokerTopology (they may name vhosts it creates).
 */
export class BrokerAccess extends pulumi.ComponentResource {
    readonly username: pulumi.Output<string>;

    constructor(name: string, args: BrokerAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerAccess", name, {}, opts);
        const admin = new AdminUser(
            `${name}-admin`,
            {
                transport: args.transport,
                nodeId: args.nodeId,
                username: args.username,
                password: pulumi.secret(args.password),
                tags: args.tags,
                removeGuest: args.removeGuest,
                api: args.api ? pulumi.secret(args.api) : null,
            },
            { parent: this },
        );
        this.username = admin.username;
        this.registerOutputs({ username: this.username });
    }
}
