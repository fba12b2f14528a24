import * as pulumi from "@pulumi/pulumi";
import { ManagementApi } from "../lib/management-client";
import { GeneratedSecret } from "./providers/generated-secret";
import { BrokerDefinitions, definitionsOf } from "./providers/broker-definitions";
import { ManagementObject, ManagementObjectInputs } from "./providers/management-object";
import {
    BindingSettings,
    ExchangeSettings,
    PolicySettings,
    Permission,
    QueueSettings,
    TopicPermission,
    UserSettings,
} from "./settings";

export interface BrokerTopologyArgs {
    /** Management API address and admin credentials (secret). */
    readonly api: pulumi.Input<ManagementApi>;
    /** Identity of the broker node (its container id): a new node gets every object applied again. */
    readonly nodeId: pulumi.Input<string>;
    /** The admin user, for its permissions. */
    readonly adminName: string;
    readonly adminPermissions: Permission[];
    readonly vhosts: string[];
    /** Users besides the admin; a user without a password gets a generated one. */
    readonly users: UserSettings[];
    readonly queues: QueueSettings[];
    readonly exchanges: ExchangeSettings[];
    readonly bindings: BindingSettings[];
    readonly policies: PolicySettings[];
}

/** Label of an object for resource names: "tasks" in "/", "shop:tasks" elsewhere. */
const label = (vhost: string, name: string) => (vhost === "/" ? name : `${vhost}:${name}`);

/** The management API body of a queue: type as x-queue-type, arguments as given. */
export function queueBody(q: QueueSettings): {
    durable: boolean;
    auto_delete: boolean;
    arguments: Record<string, unknown>;
} {
    return { durable: q.durable, auto_delete: q.autoDelete, arguments: { ...q.arguments, "x-queue-type": q.type } };
}

/**
 * The broker's topology through the management API. Vhosts, users and permissions (few,
 * and users hold secrets) are one resource each; queues, exchanges, bindings and policies
 * (possibly thousands) are one BrokerDefinitions resource applied with one definitions
 * import, its diff still listing each object. Everything takes the node's id as its
 * generation: a new node gets it all applied again.
 */
export class BrokerTopology extends pulumi.ComponentResource {
    /** "vhost/name" of every queue, with its type. */
    readonly queues: pulumi.Output<Array<{ vhost: string; name: string; type: string }>>;
    /** Generated or configured passwords of the extra users, by name (secret). */
    readonly userPasswords: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: BrokerTopologyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerTopology", name, {}, opts);
        const api = pulumi.secret(args.api);
        const object = (
            role: string,
            o: Omit<ManagementObjectInputs, "api" | "generation">,
            dependsOn: pulumi.Resource[] = [],
        ) =>
            new ManagementObject(
                `${name}-${role}`,
                { api, ...o, generation: args.nodeId },
                { parent: this, dependsOn, deleteBeforeReplace: true },
            );

        const vhosts = new Map<string, pulumi.Resource>();
        for (const v of args.vhosts)
            vhosts.set(v, object(`vhost-${v}`, { kind: "vhost", vhost: v, name: v, body: {} }));
        const inVhost = (v: string) => (vhosts.has(v) ? [vhosts.get(v)!] : []);

        const permission = (user: string, p: Permission, after: pulumi.Resource[]) =>
            object(
                `permission-${label(p.vhost, user)}`,
                {
                    kind: "permission",
                    vhost: p.vhost,
                    name: user,
                    body: { configure: p.configure, write: p.write, read: p.read },
                },
                [...after, ...inVhost(p.vhost)],
            );
        const topicPermission = (user: string, p: TopicPermission, after: pulumi.Resource[]) =>
            object(
                `topic-permission-${label(p.vhost, user)}-${p.exchange}`,
                {
                    kind: "topic-permission",
                    vhost: p.vhost,
                    name: user,
                    body: { exchange: p.exchange, write: p.write, read: p.read },
                },
                [...after, ...inVhost(p.vhost)],
            );

        // The admin needs its permissions before it can declare anything in a vhost.
        const adminPermissions = new Map<string, pulumi.Resource>();
        for (const p of args.adminPermissions) adminPermissions.set(p.vhost, permission(args.adminName, p, []));
        const declarable = (v: string) => [
            ...inVhost(v),
            ...(adminPermissions.has(v) ? [adminPermissions.get(v)!] : []),
        ];

        const passwords: Record<string, pulumi.Input<string>> = {};
        for (const u of args.users) {
            const password =
                u.password !== undefined
                    ? pulumi.secret(u.password)
                    : new GeneratedSecret(`${name}-user-${u.name}-password`, { bytes: 18 }, { parent: this }).value;
            passwords[u.name] = password;
            const user = object(`user-${u.name}`, {
                kind: "user",
                vhost: "/",
                name: u.name,
                body: pulumi.secret(
                    pulumi.output(password).apply((pw) => ({ password: pw, tags: u.tags.join(",") })),
                ) as unknown as Record<string, unknown>,
            });
            for (const p of u.permissions) permission(u.name, p, [user]);
            for (const p of u.topicPermissions) topicPermission(u.name, p, [user]);
        }

        // Queues, exchanges, bindings and policies: one resource, one definitions import.
        const everyVhost = [
            ...new Set([...args.queues, ...args.exchanges, ...args.bindings, ...args.policies].map((o) => o.vhost)),
        ];
        new BrokerDefinitions(
            `${name}-definitions`,
            {
                api,
                generation: args.nodeId,
                ...definitionsOf({
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
                }),
            },
            { parent: this, dependsOn: everyVhost.flatMap(declarable) },
        );

        this.queues = pulumi.output(args.queues.map((q) => ({ vhost: q.vhost, name: q.name, type: q.type })));
        this.userPasswords = pulumi.secret(pulumi.all(passwords));
        this.registerOutputs({ queues: this.queues, userPasswords: this.userPasswords });
    }
}
