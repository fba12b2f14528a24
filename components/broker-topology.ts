import * as pulumi from "@pulumi/pulumi";
import { ParameterDefinition, VhostDefinition, definitionsOf, maskUri, secretUriKey } from "../lib/definitions-plan";
import { objectLabel, userLabel } from "../lib/labels";
import { ManagementApi } from "../lib/management-client";
import { BrokerDefinitions } from "./providers/broker-definitions";
import { GeneratedSecret } from "./providers/generated-secret";
import {
    BindingSettings,
    ExchangeSettings,
    FederationUpstreamSetSettings,
    FederationUpstreamSettings,
    OperatorPolicySettings,
    Permission,
    PolicySettings,
    QueueSettings,
    SecretInput,
    ShovelEnd,
    ShovelSettings,
    SuperStreamSettings,
    UserSettings,
    VhostSettings,
    superStreamParts,
} from "./settings";

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
    /** Each vhost of `vhosts` with its metadata and limits; default: the names alone. */
    readonly vhostObjects?: VhostSettings[];
    readonly operatorPolicies?: OperatorPolicySettings[];
    readonly shovels?: ShovelSettings[];
    readonly federationUpstreams?: FederationUpstreamSettings[];
    readonly federationUpstreamSets?: FederationUpstreamSetSettings[];
    /** Each expands to an exchange, its partition streams and their bindings. */
    readonly superStreams?: SuperStreamSettings[];
    readonly globalParameters?: Record<string, string>;
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

/** A URI as the state and the preview show it: password masked; a secret Output is not known until it resolves. */
const shown = (uri: SecretInput) => (typeof uri === "string" ? maskUri(uri) : "(secret)");

/** A vhost as RabbitMQ's definitions hold it; a plain one is just its name (as before vhosts had details). */
export function vhostDefinition(v: VhostSettings): VhostDefinition {
    return {
        name: v.name,
        ...(v.description !== undefined ? { description: v.description } : {}),
        ...(v.tags !== undefined ? { tags: v.tags } : {}),
        ...(v.defaultQueueType !== undefined ? { default_queue_type: v.defaultQueueType } : {}),
        ...(Object.keys(v.limits).length > 0 ? { limits: v.limits } : {}),
    };
}

/**
 * A shovel's runtime-parameter value in RabbitMQ's keys, with `uri` deciding how each URI is
 * written. What the settings leave unset (protocol, ack-mode, src-delete-after: RabbitMQ's
 * defaults) stays unset: a shovel made by hand and adopted (npm run import) is then the same
 * value, written or not, and adopting it restarts nothing.
 */
export function shovelValue(s: ShovelSettings, uri: (u: SecretInput) => string = shown): Record<string, unknown> {
    const end = (prefix: "src" | "dest", e: ShovelEnd) => ({
        ...(e.protocol !== undefined ? { [`${prefix}-protocol`]: e.protocol } : {}),
        [`${prefix}-uri`]: uri(e.uri),
        ...(e.queue !== undefined ? { [`${prefix}-queue`]: e.queue } : {}),
        ...(e.exchange !== undefined ? { [`${prefix}-exchange`]: e.exchange } : {}),
        ...(e.routingKey !== undefined ? { [`${prefix}-exchange-key`]: e.routingKey } : {}),
        ...(e.address !== undefined ? { [`${prefix}-address`]: e.address } : {}),
    });
    return {
        ...end("src", s.source),
        ...(s.source.prefetchCount !== undefined ? { "src-prefetch-count": s.source.prefetchCount } : {}),
        ...(s.deleteAfter !== undefined ? { "src-delete-after": s.deleteAfter } : {}),
        ...end("dest", s.destination),
        ...(s.destination.addForwardHeaders !== undefined
            ? { "dest-add-forward-headers": s.destination.addForwardHeaders }
            : {}),
        ...(s.ackMode !== undefined ? { "ack-mode": s.ackMode } : {}),
        ...(s.reconnectDelay !== undefined ? { "reconnect-delay": s.reconnectDelay } : {}),
    };
}

/** A federation upstream's value in RabbitMQ's keys (what the settings leave unset stays unset). */
export function upstreamValue(u: FederationUpstreamSettings, uri: (u: SecretInput) => string = shown) {
    const keys: Array<[keyof FederationUpstreamSettings, string]> = [
        ["exchange", "exchange"],
        ["queue", "queue"],
        ["maxHops", "max-hops"],
        ["expires", "expires"],
        ["messageTtl", "message-ttl"],
        ["prefetchCount", "prefetch-count"],
        ["reconnectDelay", "reconnect-delay"],
        ["ackMode", "ack-mode"],
        ["trustUserId", "trust-user-id"],
    ];
    return {
        uri: uri(u.uri),
        ...Object.fromEntries(keys.filter(([k]) => u[k] !== undefined).map(([k, rk]) => [rk, u[k]])),
    };
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
    /** Generated or configured passwords of the extra users, by name (secret; users imported by hash have none). */
    readonly userPasswords: pulumi.Output<Record<string, string>>;
    /** Each shovel's and federation upstream's status after the last change: "running", or why not. */
    readonly links: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: BrokerTopologyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerTopology", name, {}, opts);

        const passwords: Record<string, pulumi.Input<string>> = {};
        const hashes: Record<string, pulumi.Input<string>> = {};
        for (const u of args.users) {
            if (u.passwordHash !== undefined) {
                hashes[userLabel(u.name)] = u.passwordHash;
                continue;
            }
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
        const parts = (args.superStreams ?? []).map(superStreamParts);
        const queues = [...args.queues, ...parts.flatMap((x) => x.queues)];
        const exchanges = [...args.exchanges, ...parts.map((x) => x.exchange)];
        const bindings = [...args.bindings, ...parts.flatMap((x) => x.bindings)];
        const vhosts = args.vhostObjects ?? args.vhosts.map((name) => ({ name, limits: {} }));
        // Shovels' and upstreams' real URIs: a secret input of their own, by secretUriKey.
        const uris: Record<string, Record<string, SecretInput>> = {};
        for (const s of args.shovels ?? [])
            uris[secretUriKey("shovels", objectLabel(s.vhost, s.name))] = {
                "src-uri": s.source.uri,
                "dest-uri": s.destination.uri,
            };
        for (const u of args.federationUpstreams ?? [])
            uris[secretUriKey("federationUpstreams", objectLabel(u.vhost, u.name))] = { uri: u.uri };
        const parameter = (x: { vhost: string; name: string }, value: unknown): ParameterDefinition => ({
            vhost: x.vhost,
            name: x.name,
            value,
        });
        const definitions = definitionsOf({
            vhosts: vhosts.map(vhostDefinition),
            users: args.users.map((u) => ({
                name: u.name,
                tags: u.tags,
                ...(u.limits && Object.keys(u.limits).length > 0 ? { limits: u.limits } : {}),
                ...(u.passwordHash !== undefined ? { hashing_algorithm: u.hashingAlgorithm } : {}),
            })),
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
            queues: queues.map((q) => ({ vhost: q.vhost, name: q.name, ...queueBody(q) })),
            exchanges: exchanges.map((x) => ({
                vhost: x.vhost,
                name: x.name,
                type: x.type,
                durable: x.durable,
                auto_delete: x.autoDelete,
                internal: x.internal,
                arguments: x.arguments,
            })),
            bindings: bindings.map((b) => ({
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
            operatorPolicies: (args.operatorPolicies ?? []).map((p) => ({
                vhost: p.vhost,
                name: p.name,
                pattern: p.pattern,
                "apply-to": p.applyTo,
                definition: p.definition,
                priority: p.priority,
            })),
            shovels: (args.shovels ?? []).map((s) => parameter(s, shovelValue(s))),
            federationUpstreams: (args.federationUpstreams ?? []).map((u) => parameter(u, upstreamValue(u))),
            federationUpstreamSets: (args.federationUpstreamSets ?? []).map((x) => parameter(x, x.upstreams)),
            globalParameters: Object.entries(args.globalParameters ?? {}).map(([name, value]) => ({ name, value })),
        });
        const applied = new BrokerDefinitions(
            `${name}-definitions`,
            {
                api: pulumi.secret(args.api),
                generation: args.nodeId,
                ...definitions,
                passwords: pulumi.secret(byLabel),
                // Absent when empty: a stack from before these existed sees no change.
                ...(Object.keys(hashes).length > 0 ? { passwordHashes: pulumi.secret(pulumi.output(hashes)) } : {}),
                ...(Object.keys(uris).length > 0
                    ? {
                          uris: pulumi.secret(
                              pulumi.output(uris) as pulumi.Output<Record<string, Record<string, string>>>,
                          ),
                      }
                    : {}),
                groupSizes: args.groupSizes,
                allowDataLoss: args.allowDataLoss,
            },
            { parent: this },
        );

        this.queues = pulumi.output(queues.map((q) => ({ vhost: q.vhost, name: q.name, type: q.type })));
        this.userPasswords = pulumi.secret(pulumi.all(passwords));
        this.links = applied.status;
        this.registerOutputs({ queues: this.queues, userPasswords: this.userPasswords, links: this.links });
    }
}
