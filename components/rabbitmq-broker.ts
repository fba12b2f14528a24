import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { BrokerAccess } from "./broker-access";
import { BrokerCluster } from "./broker-cluster";
import { BrokerContainer, clusterHostname } from "./broker-container";
import { BrokerHost } from "./broker-host";
import { BrokerHostCluster } from "./broker-host-cluster";
import { BrokerImage } from "./broker-image";
import { NodeTransport } from "./providers/rabbitmqctl-admin";
import { SshTarget } from "../lib/ssh";
import { BrokerTopology } from "./broker-topology";
import { GeneratedSecret } from "./providers/generated-secret";
import { SmokeTest } from "./providers/smoke-test";
import { TlsCertificates } from "./providers/tls-certificates";
import { BrokerSettings, ClusterSettings, QueueSettings } from "./settings";

export interface RabbitmqBrokerArgs {
    /** The validated settings (see parseSettings); no component reads config itself. */
    readonly settings: BrokerSettings;
    /** Names Docker objects: container burrow-<stack>, volume burrow-<stack>-data, image burrow/rabbitmq:<stack>. */
    readonly stack: string;
}

/** Where a client on this host reaches a port published on `bindAddress`. */
export function clientHost(bindAddress: string): string {
    if (bindAddress === "0.0.0.0") return "127.0.0.1";
    if (bindAddress === "::") return "[::1]";
    return bindAddress.includes(":") ? `[${bindAddress}]` : bindAddress;
}

/**
 * Node 1's id, known only once every node of the cluster is ready (`allIds` depends on
 * them all): the admin user and the topology wait for the whole cluster, so a quorum
 * queue gets its replicas on every node instead of on those that happened to be up.
 */
function onceAllReady(firstId: pulumi.Output<string>, allIds: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.all([firstId, allIds]).apply(([id]) => id);
}

/** The smoke queue burrow declares itself: a durable classic queue in vhost "/". */
export function smokeQueueSettings(name: string, cluster?: ClusterSettings): QueueSettings {
    return cluster
        ? {
              name,
              vhost: "/",
              type: "quorum",
              durable: true,
              autoDelete: false,
              arguments: { "x-quorum-initial-group-size": cluster.replicationFactor },
              smoke: true,
          }
        : { name, vhost: "/", type: "classic", durable: true, autoDelete: false, arguments: {}, smoke: true };
}

/**
 * A working RabbitMQ broker, in Docker (image, container) or on a host over SSH (install,
 * configure, start), then the admin user, the topology, and a smoke test that proves it.
 */
export class RabbitmqBroker extends pulumi.ComponentResource {
    readonly amqpUrl: pulumi.Output<string>;
    readonly managementUrl: pulumi.Output<string>;
    readonly adminUser: pulumi.Output<string>;
    readonly adminPassword: pulumi.Output<string>;
    readonly rabbitmqVersion: pulumi.Output<string>;
    readonly erlangVersion: pulumi.Output<string>;
    readonly queues: pulumi.Output<Array<{ vhost: string; name: string; type: string }>>;
    readonly userPasswords: pulumi.Output<Record<string, string>>;
    /** Docker target: the container's name (undefined for the SSH target). */
    readonly containerName: pulumi.Output<string | undefined>;
    /** With burrow:cluster: each node's name and where clients reach it. */
    clusterNodes: pulumi.Output<Array<{ node: string; host: string; amqpPort: number; managementPort: number }>> =
        pulumi.output([]);
    /** With burrow:tls: the CA certificate that signed the broker's certificate (public). */
    readonly caCert: pulumi.Output<string>;
    /** With burrow:tls: AMQPS URL (secret) and HTTPS management URL. */
    amqpsUrl: pulumi.Output<string | undefined> = pulumi.output(undefined);
    managementTlsUrl: pulumi.Output<string | undefined> = pulumi.output(undefined);
    readonly smoke: pulumi.Output<{ ok: boolean; totalMs: number; checkedAt: string; queues: string[] }>;

    constructor(name: string, args: RabbitmqBrokerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:RabbitmqBroker", name, {}, opts);
        const s = args.settings;
        const child = { parent: this };

        const adminPassword =
            s.admin.password !== undefined
                ? pulumi.secret(s.admin.password)
                : new GeneratedSecret(`${name}-admin-password`, { bytes: 18 }, child).value;
        const cookie = new GeneratedSecret(`${name}-erlang-cookie`, { bytes: 32 }, child).value;

        // Where the node runs: a container built here, or a host reached over SSH.
        let node: {
            nodeId: pulumi.Output<string>;
            transport: pulumi.Input<NodeTransport>;
            rabbitmqVersion: pulumi.Output<string>;
            erlangVersion: pulumi.Output<string>;
        };
        let containerName: pulumi.Output<string | undefined> = pulumi.output(undefined);
        let host: string, amqpPort: number, managementPort: number;
        let scheme = { amqp: "amqp", http: "http" };
        let caCert: pulumi.Output<string> = pulumi.output("");
        let clusterNodes = 0;
        let tunnels:
            { amqp: { ssh: SshTarget; port: number }; management: { ssh: SshTarget; port: number } } | undefined;
        let clusterIds: pulumi.Output<string> = pulumi.output("");
        // With a cluster: where the smoke test consumes (node 2).
        let consumeAt = { host: "", amqpPort: 0 };
        // What every host of the SSH target gets, one host or a cluster of them.
        const hostArgs = {
            aptSources: s.aptSources,
            rabbitmqVersion: s.rabbitmqVersion,
            plugins: s.plugins,
            amqpPort: s.amqpPort,
            managementPort: s.managementPort,
            memoryHighWatermark: s.memoryHighWatermark,
            erlangCookie: cookie,
            keepData: s.keepData,
        };
        if (s.target === "ssh" && s.ssh && s.cluster) {
            // A cluster on SSH hosts, administered through host 1.
            const ssh = s.ssh;
            const targets = ssh.hosts.map((h): SshTarget => ({
                host: h.host,
                port: h.port,
                user: ssh.user,
                privateKey: ssh.privateKey,
                hostKey: h.hostKey,
                insecureIgnoreHostKey: ssh.insecureIgnoreHostKey,
            }));
            const cluster = new BrokerHostCluster(
                `${name}-hosts`,
                {
                    hosts: ssh.hosts.map((h, i) => ({ ssh: pulumi.secret(targets[i]), nodeName: h.nodeName })),
                    ...hostArgs,
                },
                child,
            );
            const first = cluster.nodes[0];
            clusterIds = pulumi.all(cluster.nodes.map((n) => n.nodeId)).apply((ids) => ids.join(","));
            node = {
                nodeId: onceAllReady(first.nodeId, clusterIds),
                transport: pulumi.secret({ kind: "ssh" as const, ssh: targets[0] }),
                rabbitmqVersion: first.rabbitmqVersion,
                erlangVersion: first.erlangVersion,
            };
            host = clientHost(ssh.accessHost);
            amqpPort = ssh.accessAmqpPort;
            managementPort = ssh.accessManagementPort;
            clusterNodes = ssh.hosts.length;
            if (ssh.hosts.length > 1)
                consumeAt = { host: clientHost(ssh.hosts[1].accessHost), amqpPort: ssh.hosts[1].accessAmqpPort };
            this.clusterNodes = cluster.nodeNames.apply((names) =>
                names.map((n, i) => ({
                    node: n,
                    host: ssh.hosts[i].accessHost,
                    amqpPort: ssh.hosts[i].accessAmqpPort,
                    managementPort: ssh.hosts[i].accessManagementPort,
                })),
            );
        } else if (s.target === "ssh" && s.ssh) {
            const ssh = s.ssh;
            const target: SshTarget = {
                host: ssh.host,
                port: ssh.port,
                user: ssh.user,
                privateKey: ssh.privateKey,
                hostKey: ssh.hostKey,
                insecureIgnoreHostKey: ssh.insecureIgnoreHostKey,
            };
            const brokerHost = new BrokerHost(
                `${name}-host`,
                {
                    ssh: pulumi.secret(target),
                    ...hostArgs,
                    loopbackOnly: ssh.tunnel,
                },
                child,
            );
            node = {
                nodeId: brokerHost.nodeId,
                transport: pulumi.secret({ kind: "ssh" as const, ssh: target }),
                rabbitmqVersion: brokerHost.rabbitmqVersion,
                erlangVersion: brokerHost.erlangVersion,
            };
            host = clientHost(ssh.accessHost);
            amqpPort = ssh.accessAmqpPort;
            managementPort = ssh.accessManagementPort;
            if (ssh.tunnel) {
                // The broker is on the host's loopback: URLs as seen from the host, reached through tunnels.
                host = "127.0.0.1";
                amqpPort = s.amqpPort;
                managementPort = s.managementPort;
                tunnels = {
                    amqp: { ssh: target, port: s.amqpPort },
                    management: { ssh: target, port: s.managementPort },
                };
            }
        } else {
            const tls = s.tls;
            const certs = tls
                ? new TlsCertificates(
                      `${name}-tls`,
                      {
                          hostnames: tls.hostnames,
                          ipAddresses: [
                              ...new Set([
                                  "127.0.0.1",
                                  "::1",
                                  ...(["0.0.0.0", "::"].includes(s.bindAddress) ? [] : [s.bindAddress]),
                              ]),
                          ],
                          validityDays: 825,
                      },
                      child,
                  )
                : undefined;
            const image = new BrokerImage(
                `${name}-image`,
                {
                    baseImage: s.baseImage,
                    plugins: s.plugins,
                    tag: `burrow/rabbitmq:${args.stack}`,
                },
                child,
            );
            const nodeArgs = {
                image: image.imageId,
                stack: args.stack,
                bindAddress: s.bindAddress,
                amqpPort: s.amqpPort,
                managementPort: s.managementPort,
                memoryLimitMb: s.memoryLimitMb,
                memoryHighWatermark: s.memoryHighWatermark,
                erlangCookie: cookie,
                keepData: s.keepData,
                // The node makes the admin user itself at its first boot (and no guest): no rabbitmqctl run after it is ready.
                bootAdmin: s.removeGuest
                    ? pulumi.secret(
                          pulumi
                              .output(adminPassword)
                              .apply((password) => ({ username: s.admin.name, password, tags: s.admin.tags })),
                      )
                    : undefined,
            };
            // One container, or a cluster whose first node is where burrow administers it.
            const cluster = s.cluster
                ? new BrokerCluster(`${name}-cluster`, { ...nodeArgs, nodes: s.cluster.nodes }, child)
                : undefined;
            const container = cluster
                ? cluster.nodes[0]
                : new BrokerContainer(
                      `${name}-container`,
                      {
                          ...nodeArgs,
                          tls:
                              tls && certs
                                  ? {
                                        settings: tls,
                                        caCert: certs.caCert,
                                        serverCert: certs.serverCert,
                                        serverKey: certs.serverKey,
                                    }
                                  : undefined,
                      },
                      child,
                  );
            if (cluster && s.cluster) {
                this.clusterNodes = pulumi.output(
                    Array.from({ length: s.cluster.nodes }, (_, i) => ({
                        node: `rabbit@${clusterHostname(i + 1)}`,
                        host: clientHost(s.bindAddress),
                        amqpPort: s.amqpPort + i,
                        managementPort: s.managementPort + i,
                    })),
                );
                clusterNodes = s.cluster.nodes;
                consumeAt = { host: clientHost(s.bindAddress), amqpPort: s.amqpPort + 1 };
                // Every node's id: any node replaced means the smoke test runs again.
                clusterIds = pulumi.all(cluster.nodes.map((n) => n.containerId)).apply((ids) => ids.join(","));
            }
            node = {
                nodeId: cluster ? onceAllReady(container.containerId, clusterIds) : container.containerId,
                transport: pulumi.secret(
                    container.containerName.apply((c) => ({ kind: "docker" as const, container: c })),
                ),
                rabbitmqVersion: image.rabbitmqVersion,
                erlangVersion: image.erlangVersion,
            };
            containerName = container.containerName;
            host = clientHost(s.bindAddress);
            amqpPort = s.amqpPort;
            managementPort = s.managementPort;
            if (tls?.only && certs) {
                // Only the TLS listeners are open: burrow itself talks TLS, verifying with the stack's CA.
                scheme = { amqp: "amqps", http: "https" };
                amqpPort = tls.amqpsPort;
                managementPort = tls.managementPort;
            }
            if (certs) caCert = certs.caCert;
            if (certs && tls) {
                this.amqpsUrl = pulumi.secret(
                    pulumi.interpolate`amqps://${encodeURIComponent(s.admin.name)}:${pulumi.output(adminPassword).apply(encodeURIComponent)}@${host}:${tls.amqpsPort}`,
                );
                this.managementTlsUrl = pulumi.output(`https://${host}:${tls.managementPort}`);
            }
        }

        const managementUrl = pulumi.interpolate`${scheme.http}://${host}:${managementPort}`;
        const api = pulumi.secret(
            pulumi.all([managementUrl, adminPassword, caCert]).apply(([url, password, ca]) => ({
                url,
                username: s.admin.name,
                password,
                ...(ca ? { ca } : {}),
                ...(tunnels ? { tunnel: tunnels.management } : {}),
            })),
        );
        const access = new BrokerAccess(
            `${name}-access`,
            {
                transport: node.transport,
                nodeId: node.nodeId,
                username: s.admin.name,
                password: adminPassword,
                tags: s.admin.tags,
                removeGuest: s.removeGuest,
                // Docker target: the node may have made the user at its first boot (see bootAdmin).
                api: s.target === "docker" ? api : undefined,
            },
            child,
        );

        const smokeQueue = smokeQueueSettings(s.smokeQueue, s.cluster);
        const queues = [smokeQueue, ...s.queues];
        const topology = new BrokerTopology(
            `${name}-topology`,
            {
                api,
                nodeId: node.nodeId,
                adminName: s.admin.name,
                adminPermissions: s.admin.permissions,
                vhosts: s.vhosts,
                users: s.users,
                queues,
                exchanges: s.exchanges,
                bindings: s.bindings,
                policies: s.policies,
            },
            { parent: this, dependsOn: [access] },
        );

        const amqpUrl = pulumi.secret(
            pulumi.interpolate`${scheme.amqp}://${encodeURIComponent(s.admin.name)}:${adminPassword.apply(encodeURIComponent)}@${host}:${amqpPort}`,
        );
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
        const smoke = new SmokeTest(
            `${name}-smoke`,
            {
                amqpUrl,
                ca: scheme.amqp === "amqps" ? caCert : "",
                tunnel: tunnels ? pulumi.secret(tunnels.amqp) : null,
                queues: smokeQueues,
                trigger: pulumi.interpolate`${node.nodeId}/${clusterIds}/${topologyDigest}`,
                // In a cluster: publish through node 1, consume through node 2, and every node must be running and joined.
                cluster:
                    clusterNodes > 1
                        ? pulumi.secret(
                              pulumi
                                  .all([adminPassword, api, this.clusterNodes])
                                  .apply(([password, clusterApi, nodes]) => ({
                                      consumeUrl: `amqp://${encodeURIComponent(s.admin.name)}:${encodeURIComponent(password)}@${consumeAt.host}:${consumeAt.amqpPort}`,
                                      api: clusterApi,
                                      nodes: nodes.map((n) => n.node),
                                  })),
                          )
                        : null,
            },
            { parent: this, dependsOn: [topology] },
        );

        this.amqpUrl = amqpUrl;
        this.managementUrl = managementUrl;
        this.adminUser = access.username;
        this.adminPassword = pulumi.secret(adminPassword);
        this.rabbitmqVersion = node.rabbitmqVersion;
        this.erlangVersion = node.erlangVersion;
        this.queues = topology.queues;
        this.userPasswords = topology.userPasswords;
        this.containerName = containerName;
        this.caCert = caCert;
        this.smoke = pulumi.all([smoke.ok, smoke.totalMs, smoke.checkedAt]).apply(([ok, totalMs, checkedAt]) => ({
            ok,
            totalMs,
            checkedAt,
            queues: smokeQueues.map((q) => (q.vhost === "/" ? q.name : `${q.vhost}/${q.name}`)),
        }));
        this.registerOutputs({
            amqpUrl: this.amqpUrl,
            managementUrl: this.managementUrl,
            rabbitmqVersion: this.rabbitmqVersion,
            erlangVersion: this.erlangVersion,
            queues: this.queues,
            smoke: this.smoke,
        });
    }
}
