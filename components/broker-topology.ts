import * as pulumi from "@pulumi/pulumi";
import { definitionsOf } from "../lib/definitions-plan";
import { userLabel } from "../lib/labels";
import { ManagementApi } from "../lib/management-client";
import { BrokerDefinitions } from "./providers/broker-definitions";
import { GeneratedSecret } from "./providers/generated-secret";
import { BindingSettings, ExchangeSettings, Permission, PolicySettings, QueueSettings, UserSettings } from "./settings";

export interface BrokerTopologyArgs {
    /** Management API address and admin credentials (secret). */
    readonly api: pulumi.Input<ManagementApi>;
    /** Identity of the broker node (its container id): a new node gets every object applied again. */
    readonly nodeId: pulumi.Input<string>;
    /** The admin user, for its permissions (the user itself is BrokerAccess's). */
    readonly adminName: string;
    readonly adminPermissions: Permission[];
    readonly vhosts: string[];
    /** Users besides the admin; a user without a password gets a generated one. */
    readonly users: UserSettings[];
    readonly queues: QueueSettings[];
    readonly exchanges: ExchangeSettings[];
    readonly bindings: BindingSettings[];
    readonly policies: PolicySettings[];
    /** Replicas a new quorum queue starts with, by queue label (see quorumTargetSizes). */
    readonly groupSizes: Record<string, number>;
    /** Consent to lose data: "queue <label>", "vhost <label>" or "*" (burrow:allowDataLoss). */
    readonly allowDataLoss: string[];
}

/** The management API body of a queue: type as x-queue-type, arguments as given. */
export function queueBody(q: QueueSettings): {
    durable: boolean;
    auto_delete: boolean;
    arguments: Record<string, unknown>;
} {
    return { durable: q.durable, auto_delete: q.autoDelete, arguments: { ...q.arguments, "x-queue-type": q.type } };
}

/**
 * Everything the broker holds that burrow declares — vhosts, users, permissions, topic
 * permissions, queues, exchanges, bindings, policies — as one BrokerDefinitions resource,
 * applied with one definitions import; its diff still names each object, and a change that
 * would lose messages is refused unless consented (providers/broker-definitions.ts).
 */
export class BrokerTopology extends pulumi.ComponentResource {
    /** "vhost/name" of every queue, with its type. */
    readonly queues: pulumi.Output<Array<{ vhost: string; name: string; type: string }>>;
    /** Generated or configured passwords of the extra users, by name (secret). */
    readonly userPasswords: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: BrokerTopologyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerTopology", name, {}, opts);

        const passwords: Record<string, pulumi.Input<string>> = {};
        for (const u of args.users) {
            passwords[u.name] =
                u.password !== undefined
                    ? pulumi.secret(u.password)
                    : new GeneratedSecret(`${name}-user-${u.name}-password`, { bytes: 18 }, { parent: this }).value;
        }
        const byLabel = pulumi
            .all(passwords)
            .apply((p) => Object.fromEntries(Object.entries(p).map(([user, pw]) => [userLabel(user), pw])));

        const permissions = [
            ...args.adminPermissions.map((p) => ({ user: args.adminName, ...p })),
            ...args.users.flatMap((u) => u.permissions.map((p) => ({ user: u.name, ...p }))),
        ];
        const definitions = definitionsOf({
            vhosts: args.vhosts.map((name) => ({ name })),
            users: args.users.map((u) => ({ name: u.name, tags: u.tags })),
            permissions: permissions.map((p) => ({
                user: p.user,
                vhost: p.vhost,
                configure: p.configure,
                write: p.write,
                read: p.read,
            })),
            topicPermissions: args.users.flatMap((u) =>
                u.topicPermissions.map((t) => ({
                    user: u.name,
                    vhost: t.vhost,
                    exchange: t.exchange,
                    write: t.write,
                    read: t.read,
                })),
            ),
            queues: args.queues.map((q) => ({ vhost: q.vhost, name: q.name, ...queueBody(q) })),
            exchanges: args.exchanges.map((x) => ({
                vhost: x.vhost,
                name: x.name,
                type: x.type,
                durable: x.durable,
                auto_delete: x.autoDelete,
                internal: x.internal,
                arguments: x.arguments,
            })),
            bindings: args.bindings.map((b) => ({
                vhost: b.vhost,
                source: b.source,
                destination: b.destination,
                destination_type: b.destinationType,
                routing_key: b.routingKey,
                arguments: b.arguments,
            })),
            policies: args.policies.map((p) => ({
                vhost: p.vhost,
                name: p.name,
                pattern: p.pattern,
                "apply-to": p.applyTo,
                definition: p.definition,
                priority: p.priority,
            })),
        });
        new BrokerDefinitions(
            `${name}-definitions`,
            {
                api: pulumi.secret(args.api),
                generation: args.nodeId,
                ...definitions,
                passwords: pulumi.secret(byLabel),
                groupSizes: args.groupSizes,
                allowDataLoss: args.allowDataLoss,
            },
            { parent: this },
        );

        this.queues = pulumi.output(args.queues.map((q) => ({ vhost: q.vhost, name: q.name, type: q.type })));
        this.userPasswords = pulumi.secret(pulumi.all(passwords));
        this.registerOutputs({ queues: this.queues, userPasswords: this.userPasswords });
    }
}
