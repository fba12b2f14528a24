import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { quietEngineShutdown } from "../lib/errors";
import { objectLabel } from "../lib/labels";
import { currentBackend, ownerIdOf } from "../lib/ownership";
import { amqpUrl } from "../lib/urls";
import { BrokerAccess } from "./broker-access";
import { ClusterNode, placeBroker } from "./broker-placement";
import { BrokerTopology } from "./broker-topology";
import { defaultDockerPrefix, dockerNames } from "./docker-names";
import { BlueGreenMove } from "./providers/blue-green-move";
import { GeneratedSecret } from "./providers/generated-secret";
import { QuorumMembership } from "./providers/quorum-membership";
import { SmokeTest } from "./providers/smoke-test";
import {
    BrokerArgs,
    BrokerSettings,
    ClusterSettings,
    InputSource,
    QueueSettings,
    SettingsError,
    parseSettings,
    quorumTargetSizes,
} from "./settings";

/** The arguments of a broker: every setting of BrokerArgs (also stack config keys), plus how it is named. */
export interface RabbitmqBrokerArgs extends BrokerArgs {
    /**
     * Prefix of the Docker objects' names: container `<prefix>`, volume `<prefix>-data`, a
     * cluster's network `<prefix>`. Default `burrow-<stack>`; set it when one stack has
     * several brokers.
     */
    readonly dockerNamePrefix?: string;
    /**
     * How problems in the arguments are named: "args" (default) names them as arguments
     * (`queues[0].type`); "config" as stack config keys (`burrow:queues[0].type`) with the
     * `config set` fix, which is what the stack program passes.
     */
    readonly inputSource?: InputSource;
    /** With inputSource "config": the keys set with --secret (keys holding passwords or keys must be). */
    readonly configSecretKeys?: readonly string[];
}

/** The smoke queue burrow declares itself: durable, in vhost "/" (quorum in a cluster). */
export function smokeQueueSettings(name: string, cluster?: ClusterSettings): QueueSettings {
    return cluster
        ? { name, vhost: "/", type: "quorum", durable: true, autoDelete: false, arguments: {}, smoke: true }
        : { name, vhost: "/", type: "classic", durable: true, autoDelete: false, arguments: {}, smoke: true };
}

/** The stack's organization ("" where there is none, e.g. unit tests with Pulumi's mocks). */
function organization(): string {
    try {
        return pulumi.getOrganization();
    } catch {
        return "";
    }
}

/** The args checked by the same rules as stack config; a bad value stops the program with one clean message. */
export function validatedSettings(name: string, args: RabbitmqBrokerArgs): BrokerSettings {
    const { dockerNamePrefix: _prefix, inputSource = "args", configSecretKeys, ...settingsArgs } = args;
    try {
        return parseSettings(settingsArgs, inputSource, name, configSecretKeys && new Set(configSecretKeys));
    } catch (e) {
        // RunError: Pulumi prints the message alone, without "unhandled exception" and a stack trace.
        if (e instanceof SettingsError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

/**
 * A working RabbitMQ broker, in Docker (image, container or cluster) or on hosts over SSH
 * (install, configure, start), then the admin user, the topology, and a smoke test that
 * proves it. Use it from a Pulumi program:
 *
 *     const mq = new RabbitmqBroker("mq", { queues: [{ name: "tasks", type: "quorum" }], cluster: 3 });
 *     export const amqpUrl = mq.amqpUrl;
 */
export class RabbitmqBroker extends pulumi.ComponentResource {
    /** amqp(s)://admin:password@host:port of node 1 (secret). */
    readonly amqpUrl: pulumi.Output<string>;
    readonly managementUrl: pulumi.Output<string>;
    /** The Prometheus endpoint of node 1 (rabbitmq_prometheus), http://host:metricsPort/metrics; undefined with metrics off. */
    readonly metricsUrl: pulumi.Output<string | undefined>;
    readonly adminUser: pulumi.Output<string>;
    /** Secret. */
    readonly adminPassword: pulumi.Output<string>;
    readonly rabbitmqVersion: pulumi.Output<string>;
    readonly erlangVersion: pulumi.Output<string>;
    readonly queues: pulumi.Output<Array<{ vhost: string; name: string; type: string }>>;
    /** Generated or configured passwords of the extra users, by name (secret). */
    readonly userPasswords: pulumi.Output<Record<string, string>>;
    /** Each shovel's and federation upstream's status after the last change: "running", or why not. */
    readonly links: pulumi.Output<Record<string, string>>;
    /** Docker target: node 1's container (undefined for the SSH target). */
    readonly containerName: pulumi.Output<string | undefined>;
    /** With a cluster: each node's name and where clients reach it (empty for one node). */
    readonly clusterNodes: pulumi.Output<ClusterNode[]>;
    /** With tls: the CA certificate that signed the broker's certificate (public); "" without. */
    readonly caCert: pulumi.Output<string>;
    /** With tls: the AMQPS URL (secret) and the HTTPS management URL; undefined without. */
    readonly amqpsUrl: pulumi.Output<string | undefined>;
    readonly managementTlsUrl: pulumi.Output<string | undefined>;
    readonly smoke: pulumi.Output<{ ok: boolean; totalMs: number; checkedAt: string; queues: string[] }>;
    /** The validated settings the broker was built from (every default filled in). */
    readonly settings: BrokerSettings;

    constructor(name: string, args: RabbitmqBrokerArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:RabbitmqBroker", name, {}, opts);
        // A provider's refusal is then shown once, not followed by the engine shutdown's echo.
        quietEngineShutdown();
        const s = validatedSettings(name, args);
        const child = { parent: this };
        this.settings = s;
        for (const warning of s.warnings) pulumi.log.warn(warning, this);

        const adminPassword: pulumi.Output<string> =
            s.admin.password !== undefined
                ? pulumi.secret(s.admin.password)
                : new GeneratedSecret(`${name}-admin-password`, { bytes: 18 }, child).value;
        const erlangCookie = new GeneratedSecret(`${name}-erlang-cookie`, { bytes: 32 }, child).value;
        const stack = pulumi.getStack();
        const owner = ownerIdOf({
            backend: currentBackend(),
            organization: organization(),
            project: pulumi.getProject(),
            stack,
        });
        const names = dockerNames(args.dockerNamePrefix ?? defaultDockerPrefix(stack), stack, owner);

        // Where the nodes run, and how burrow and clients reach them.
        const place = placeBroker(name, { settings: s, names, adminPassword, erlangCookie, owner, stack }, this);
        const { endpoint } = place;

        const managementUrl = pulumi.output(`${endpoint.httpScheme}://${endpoint.host}:${endpoint.managementPort}`);
        const api = pulumi.secret(
            pulumi.all([adminPassword, place.caCert]).apply(([password, ca]) => ({
                url: `${endpoint.httpScheme}://${endpoint.host}:${endpoint.managementPort}`,
                username: s.admin.name,
                password,
                ...(ca ? { ca } : {}),
                ...(place.tunnels ? { tunnel: place.tunnels.management } : {}),
            })),
        );
        const access = new BrokerAccess(
            `${name}-access`,
            {
                transport: place.transport,
                nodeId: place.nodeId,
                username: s.admin.name,
                password: adminPassword,
                tags: s.admin.tags,
                removeGuest: s.removeGuest,
                // Docker target: the node may have made the user at its first boot.
                api: place.adminMadeAtBoot ? api : undefined,
            },
            child,
        );

        const queues = [smokeQueueSettings(s.smokeQueue, s.cluster), ...s.queues];
        const topology = new BrokerTopology(
            `${name}-topology`,
            {
                api,
                nodeId: place.nodeId,
                adminName: s.admin.name,
                adminPermissions: s.admin.permissions,
                vhosts: s.vhosts,
                users: s.users,
                queues,
                exchanges: s.exchanges,
                bindings: s.bindings,
                policies: s.policies,
                vhostObjects: s.vhostObjects,
                operatorPolicies: s.operatorPolicies,
                shovels: s.shovels,
                federationUpstreams: s.federationUpstreams,
                federationUpstreamSets: s.federationUpstreamSets,
                superStreams: s.superStreams,
                globalParameters: s.globalParameters,
                groupSizes: quorumTargetSizes(s.cluster, queues),
                allowDataLoss: s.allowDataLoss,
            },
            { parent: this, dependsOn: [access] },
        );

        // A cluster's quorum queues keep their replicas on its nodes as it grows and shrinks.
        const membership = s.cluster
            ? new QuorumMembership(
                  `${name}-membership`,
                  {
                      api,
                      nodes: place.clusterNodes.apply((nodes) => nodes.map((n) => n.node)),
                      replicationFactor: s.cluster.replicationFactor,
                      targetSizes: quorumTargetSizes(s.cluster, queues),
                      generation: place.allNodeIds,
                  },
                  { parent: this, dependsOn: [topology] },
              )
            : undefined;

        // Docker target: after a blue-green switch, the old broker's messages move to the new
        // one (which has its definitions, ports and quorum replicas by now); then the old one goes.
        const move = place.blue
            ? new BlueGreenMove(
                  `${name}-move`,
                  {
                      blue: place.blue,
                      greenContainer: place.containerName!,
                      api,
                      plugins: s.plugins,
                      stallTimeoutMs: 300_000,
                  },
                  { parent: this, dependsOn: membership ? [topology, membership] : [topology] },
              )
            : undefined;

        const urlOf = (scheme: "amqp" | "amqps", host: string, port: number) =>
            pulumi.secret(
                adminPassword.apply((password) => amqpUrl({ scheme, username: s.admin.name, password, host, port })),
            );
        const brokerUrl = urlOf(endpoint.amqpScheme, endpoint.host, endpoint.amqpPort);
        const smokeQueues = queues.filter((q) => q.smoke).map((q) => ({ vhost: q.vhost, name: q.name }));
        const topologyDigest = crypto
            .createHash("sha256")
            .update(
                JSON.stringify([
                    s.vhosts,
                    queues,
                    s.exchanges,
                    s.bindings,
                    s.policies,
                    s.users.map((u) => [u.name, u.tags, u.permissions]),
                ]),
            )
            .digest("hex")
            .slice(0, 16);
        const consumeAt = place.consumeAt;
        const smoke = new SmokeTest(
            `${name}-smoke`,
            {
                amqpUrl: brokerUrl,
                ca: endpoint.amqpScheme === "amqps" ? place.caCert : "",
                tunnel: place.tunnels ? pulumi.secret(place.tunnels.amqp) : null,
                queues: smokeQueues,
                trigger: pulumi.interpolate`${place.nodeId}/${place.allNodeIds}/${topologyDigest}`,
                // In a cluster: publish through node 1, consume through node 2, and every node must be running and joined.
                cluster: consumeAt
                    ? pulumi.secret(
                          pulumi
                              .all([urlOf("amqp", consumeAt.host, consumeAt.amqpPort), api, place.clusterNodes])
                              .apply(([consumeUrl, clusterApi, nodes]) => ({
                                  consumeUrl,
                                  api: clusterApi,
                                  nodes: nodes.map((n) => n.node),
                              })),
                      )
                    : null,
            },
            { parent: this, dependsOn: move ? [topology, move] : [topology] },
        );

        this.amqpUrl = brokerUrl;
        this.managementUrl = managementUrl;
        this.metricsUrl = pulumi.output(
            endpoint.metricsPort === null
                ? undefined
                : `${endpoint.httpScheme}://${endpoint.host}:${endpoint.metricsPort}/metrics`,
        );
        this.adminUser = access.username;
        this.adminPassword = pulumi.secret(adminPassword);
        this.rabbitmqVersion = place.rabbitmqVersion;
        this.erlangVersion = place.erlangVersion;
        this.queues = topology.queues;
        this.userPasswords = topology.userPasswords;
        this.links = topology.links;
        this.containerName = place.containerName ?? pulumi.output(undefined);
        this.clusterNodes = place.clusterNodes;
        this.caCert = place.caCert;
        const tlsAt = place.tlsEndpoint;
        this.amqpsUrl = tlsAt ? urlOf("amqps", endpoint.host, tlsAt.amqpsPort) : pulumi.output(undefined);
        this.managementTlsUrl = pulumi.output(tlsAt ? `https://${endpoint.host}:${tlsAt.managementPort}` : undefined);
        this.smoke = pulumi.all([smoke.ok, smoke.totalMs, smoke.checkedAt]).apply(([ok, totalMs, checkedAt]) => ({
            ok,
            totalMs,
            checkedAt,
            queues: smokeQueues.map((q) => objectLabel(q.vhost, q.name)),
        }));
        this.registerOutputs({
            amqpUrl: this.amqpUrl,
            managementUrl: this.managementUrl,
            metricsUrl: this.metricsUrl,
            rabbitmqVersion: this.rabbitmqVersion,
            erlangVersion: this.erlangVersion,
            queues: this.queues,
            smoke: this.smoke,
        });
    }
}
