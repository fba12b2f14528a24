// Where the broker's nodes run, decided once: in Docker (one container, or a cluster of
// them), on one host over SSH, or on a cluster of SSH hosts. Each way returns the same
// record, so the broker component reads top to bottom whatever the target.
import * as pulumi from "@pulumi/pulumi";
import { dockerOpenFileCap } from "../lib/host-limits";
import { OWNER_LABEL } from "../lib/ownership";
import { SshTarget } from "../lib/ssh";
import { clientHost } from "../lib/urls";
import { BrokerCluster } from "./broker-cluster";
import { BrokerContainer, clusterHostname } from "./broker-container";
import { BrokerHost } from "./broker-host";
import { BrokerHostCluster } from "./broker-host-cluster";
import { BrokerImage, brokerImageCacheTag } from "./broker-image";
import { DockerNames, withGeneration } from "./docker-names";
import { BlueBroker, BrokerGeneration } from "./providers/broker-generation";
import { VersionGuard } from "./providers/version-guard";
import { NodeTransport } from "./providers/rabbitmqctl-admin";
import { TlsCertificates } from "./providers/tls-certificates";
import { BrokerSettings, RECOMMENDED_OPEN_FILES, RELEASE_VERSIONS, SshSettings, dockerNodePorts } from "./settings";

/** A node of a cluster and where clients reach it. */
export interface ClusterNode {
    node: string;
    host: string;
    amqpPort: number;
    managementPort: number;
}

/** An SSH tunnel to a port on a host's loopback. */
export interface Tunnel {
    ssh: SshTarget;
    port: number;
}

export interface Placement {
    /** Node 1's identity, known once every node is ready: the admin user and the topology wait for the whole cluster. */
    nodeId: pulumi.Output<string>;
    /** Every node's identity: any node replaced means the smoke test runs again. */
    allNodeIds: pulumi.Output<string>;
    /** How rabbitmqctl reaches node 1 (secret: an SSH target holds the key). */
    transport: pulumi.Input<NodeTransport>;
    rabbitmqVersion: pulumi.Output<string>;
    erlangVersion: pulumi.Output<string>;
    /** Where burrow and clients reach node 1. */
    endpoint: {
        amqpScheme: "amqp" | "amqps";
        httpScheme: "http" | "https";
        host: string;
        amqpPort: number;
        managementPort: number;
        /** The Prometheus endpoint's port (null: metrics off). */
        metricsPort: number | null;
    };
    /** ssh.tunnel: node 1 is reached through SSH tunnels, and the endpoint is as seen from its host. */
    tunnels?: { amqp: Tunnel; management: Tunnel };
    /** The CA that signed the broker's certificate ("" without TLS). */
    caCert: pulumi.Output<string>;
    /** With TLS beside plain listeners: where the TLS listeners are. */
    tlsEndpoint?: { amqpsPort: number; managementPort: number };
    /** A cluster's nodes in order (none for a single node). */
    clusterNodes: pulumi.Output<ClusterNode[]>;
    /** With a cluster of 2 or more: where the smoke test consumes (node 2). */
    consumeAt?: { host: string; amqpPort: number };
    /** Docker target: the container of node 1. */
    containerName?: pulumi.Output<string>;
    /** Docker target: the node imported the admin user at its first boot, so rabbitmqctl may not be needed. */
    adminMadeAtBoot: boolean;
    /** Docker target: the old broker of a blue-green upgrade still to be emptied (null: none). */
    blue?: pulumi.Output<BlueBroker | null>;
}

export interface PlacementInputs {
    settings: BrokerSettings;
    names: DockerNames;
    adminPassword: pulumi.Output<string>;
    erlangCookie: pulumi.Output<string>;
    /** The stack's owner id (lib/ownership.ts). */
    owner: string;
    /** The stack's name (pulumi.getStack()). */
    stack: string;
}

/** Node 1's id, resolved only once `allIds` (every node) is: waiting for the whole cluster. */
function onceAllReady(firstId: pulumi.Output<string>, allIds: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.all([firstId, allIds]).apply(([id]) => id);
}
const joined = (ids: pulumi.Output<string>[]) => pulumi.all(ids).apply((x) => x.join(","));

/** The one decision: Docker, one SSH host, or a cluster of SSH hosts. */
export function placeBroker(name: string, i: PlacementInputs, parent: pulumi.Resource): Placement {
    const s = i.settings;
    if (s.target === "ssh" && s.ssh && s.cluster) return placeOnHosts(name, i, s.ssh, parent);
    if (s.target === "ssh" && s.ssh) return placeOnHost(name, i, s.ssh, parent);
    return placeInDocker(name, i, parent);
}

/** What every host of the SSH target gets, one host or a cluster of them. */
function hostArgs(i: PlacementInputs, ssh: SshSettings) {
    const s = i.settings;
    return {
        owner: i.owner,
        stack: i.stack,
        adoptExisting: ssh.adoptExisting,
        allowDataLoss: s.allowDataLoss,
        aptSources: s.aptSources,
        rabbitmqVersion: s.rabbitmqVersion,
        plugins: s.plugins,
        amqpPort: s.amqpPort,
        managementPort: s.managementPort,
        memoryHighWatermark: s.memoryHighWatermark,
        erlangCookie: i.erlangCookie,
        keepData: s.keepData,
        node: {
            metricsPort: s.metricsPort,
            openFileLimit: s.openFileLimit,
            diskFreeLimit: s.diskFreeLimit,
            partitionHandling: s.partitionHandling,
            rabbitmqConf: s.rabbitmqConf,
            advancedConfig: s.advancedConfig,
            envConfig: s.envConfig,
        },
    };
}

/** "the broker may open at most N files ..." when the host's hard limit capped burrow:openFileLimit below the checklist's figure. */
function openFilesCapped(requested: number, got: number, where: string, raise: string): string | undefined {
    if (got >= requested || got >= RECOMMENDED_OPEN_FILES) return undefined;
    return (
        `burrow:openFileLimit is ${requested}, but ${where} caps open files at ${got} (its hard limit), so the broker gets ${got}. ` +
        `RabbitMQ's production checklist asks for at least ${RECOMMENDED_OPEN_FILES}: ${raise}, or set burrow:openFileLimit ${got} to accept it.`
    );
}

/** Warns, once each node's measured limit is known, where a host capped the open-file limit. */
function warnOpenFiles(
    s: BrokerSettings,
    hosts: Array<{ host: string; openFiles: pulumi.Output<number> }>,
    parent: pulumi.Resource,
) {
    for (const h of hosts)
        h.openFiles.apply((got) => {
            const w = got
                ? openFilesCapped(
                      s.openFileLimit,
                      got,
                      `host ${h.host}`,
                      "raise the host's hard limit (under systemd the one systemd itself runs with: in a container, its runtime's, e.g. `docker run --ulimit nofile`; for the init script /etc/security/limits.conf)",
                  )
                : undefined;
            if (w) pulumi.log.warn(w, parent);
        });
}

function sshTargetOf(ssh: SshSettings, host: { host: string; port: number; hostKey?: string }): SshTarget {
    return {
        host: host.host,
        port: host.port,
        user: ssh.user,
        privateKey: ssh.privateKey,
        hostKey: host.hostKey,
        insecureIgnoreHostKey: ssh.insecureIgnoreHostKey,
    };
}

/** A cluster on SSH hosts, administered through host 1. */
function placeOnHosts(name: string, i: PlacementInputs, ssh: SshSettings, parent: pulumi.Resource): Placement {
    const targets = ssh.hosts.map((h) => sshTargetOf(ssh, h));
    const cluster = new BrokerHostCluster(
        `${name}-hosts`,
        {
            hosts: ssh.hosts.map((h, k) => ({ ssh: pulumi.secret(targets[k]), nodeName: h.nodeName })),
            ...hostArgs(i, ssh),
        },
        { parent },
    );
    const first = cluster.nodes[0];
    const allNodeIds = joined(cluster.nodes.map((n) => n.nodeId));
    warnOpenFiles(
        i.settings,
        cluster.nodes.map((n, k) => ({ host: ssh.hosts[k].host, openFiles: n.openFiles })),
        parent,
    );
    return {
        nodeId: onceAllReady(first.nodeId, allNodeIds),
        allNodeIds,
        transport: pulumi.secret({ kind: "ssh" as const, ssh: targets[0] }),
        rabbitmqVersion: first.rabbitmqVersion,
        erlangVersion: first.erlangVersion,
        endpoint: {
            amqpScheme: "amqp",
            httpScheme: "http",
            host: clientHost(ssh.accessHost),
            amqpPort: ssh.accessAmqpPort,
            managementPort: ssh.accessManagementPort,
            metricsPort: i.settings.metricsPort === null ? null : ssh.accessMetricsPort,
        },
        caCert: pulumi.output(""),
        clusterNodes: cluster.nodeNames.apply((names) =>
            names.map((n, k) => ({
                node: n,
                host: ssh.hosts[k].accessHost,
                amqpPort: ssh.hosts[k].accessAmqpPort,
                managementPort: ssh.hosts[k].accessManagementPort,
            })),
        ),
        consumeAt:
            ssh.hosts.length > 1
                ? { host: clientHost(ssh.hosts[1].accessHost), amqpPort: ssh.hosts[1].accessAmqpPort }
                : undefined,
        adminMadeAtBoot: false,
    };
}

/** One host over SSH; with ssh.tunnel the broker listens on the host's loopback only. */
function placeOnHost(name: string, i: PlacementInputs, ssh: SshSettings, parent: pulumi.Resource): Placement {
    const s = i.settings;
    const target = sshTargetOf(ssh, ssh);
    const host = new BrokerHost(
        `${name}-host`,
        { ssh: pulumi.secret(target), ...hostArgs(i, ssh), loopbackOnly: ssh.tunnel },
        { parent },
    );
    warnOpenFiles(s, [{ host: ssh.host, openFiles: host.openFiles }], parent);
    const endpoint = ssh.tunnel
        ? // As seen from the host; reached through tunnels.
          { host: "127.0.0.1", amqpPort: s.amqpPort, managementPort: s.managementPort, metricsPort: s.metricsPort }
        : {
              host: clientHost(ssh.accessHost),
              amqpPort: ssh.accessAmqpPort,
              managementPort: ssh.accessManagementPort,
              metricsPort: s.metricsPort === null ? null : ssh.accessMetricsPort,
          };
    return {
        nodeId: host.nodeId,
        allNodeIds: host.nodeId,
        transport: pulumi.secret({ kind: "ssh" as const, ssh: target }),
        rabbitmqVersion: host.rabbitmqVersion,
        erlangVersion: host.erlangVersion,
        endpoint: { amqpScheme: "amqp", httpScheme: "http", ...endpoint },
        tunnels: ssh.tunnel
            ? { amqp: { ssh: target, port: s.amqpPort }, management: { ssh: target, port: s.managementPort } }
            : undefined,
        caCert: pulumi.output(""),
        clusterNodes: pulumi.output([]),
        adminMadeAtBoot: false,
    };
}

/** A container built here, or a cluster of them whose node 1 is where burrow administers it. */
function placeInDocker(name: string, i: PlacementInputs, parent: pulumi.Resource): Placement {
    const s = i.settings;
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
              { parent },
          )
        : undefined;
    const expectedVersion = RELEASE_VERSIONS[s.debianRelease].rabbitmq;
    // A downgrade is refused before anything, the image build included.
    const guard = new VersionGuard(
        `${name}-version-guard`,
        {
            prefix: i.names.prefix,
            labels: { ...i.names.labels },
            release: s.debianRelease,
            baseImage: s.baseImage,
            expectedVersion,
            imageCacheTag: brokerImageCacheTag(s.baseImage, s.plugins),
        },
        { parent },
    );
    const image = new BrokerImage(
        `${name}-image`,
        {
            baseImage: s.baseImage,
            plugins: s.plugins,
            tag: i.names.imageTag,
            heldBy: { container: i.names.container(s.cluster ? 1 : undefined), owner: i.names.labels[OWNER_LABEL] },
            buildAfter: [guard],
        },
        { parent },
    );
    // Which generation runs; a change of version is planned (and a new series switched) here.
    const generation = new BrokerGeneration(
        `${name}-generation`,
        {
            prefix: i.names.prefix,
            labels: { ...i.names.labels },
            nodes: s.cluster?.nodes ?? 0,
            release: s.debianRelease,
            baseImage: s.baseImage,
            expectedVersion,
            imageCacheTag: image.cacheTag,
            imageId: image.imageId,
            rabbitmqVersion: image.rabbitmqVersion,
            memoryLimitMb: s.memoryLimitMb,
            memoryHighWatermark: s.memoryHighWatermark,
            erlangCookie: pulumi.secret(i.erlangCookie),
            // Unknown while the image changes: see broker-generation.ts.
            generation: image.imageId.apply(() => ""),
        },
        { parent },
    );
    const names = withGeneration(i.names, generation.generation);
    // The engine refuses a container whose open-file limit exceeds its own hard limit: ask for no more.
    const cap = dockerOpenFileCap(s.baseImage);
    const openFileLimit = cap === undefined ? s.openFileLimit : Math.min(s.openFileLimit, cap);
    const capped = openFilesCapped(
        s.openFileLimit,
        openFileLimit,
        "the Docker engine",
        "raise the engine's hard limit (LimitNOFILE of docker.service and containerd.service, or `ulimit -Hn` where dockerd starts)",
    );
    if (capped) pulumi.log.warn(capped, parent);
    const nodeArgs = {
        image: image.imageId,
        rabbitmqVersion: image.rabbitmqVersion,
        bootDefinitions: generation.bootDefinitions,
        names,
        bindAddress: s.bindAddress,
        amqpPort: s.amqpPort,
        managementPort: s.managementPort,
        metricsPort: s.metricsPort,
        memoryLimitMb: s.memoryLimitMb,
        memoryHighWatermark: s.memoryHighWatermark,
        diskFreeLimit: s.diskFreeLimit,
        openFileLimit,
        partitionHandling: s.partitionHandling,
        rabbitmqConf: s.rabbitmqConf,
        advancedConfig: s.advancedConfig,
        envConfig: s.envConfig,
        erlangCookie: i.erlangCookie,
        keepData: s.keepData,
        // The node makes the admin user itself at its first boot (and no guest): no rabbitmqctl run after it is ready.
        bootAdmin: s.removeGuest
            ? pulumi.secret(
                  i.adminPassword.apply((password) => ({ username: s.admin.name, password, tags: s.admin.tags })),
              )
            : undefined,
    };
    const host = clientHost(s.bindAddress);
    const cluster = s.cluster
        ? new BrokerCluster(`${name}-cluster`, { ...nodeArgs, nodes: s.cluster.nodes }, { parent })
        : undefined;
    const container =
        cluster?.nodes[0] ??
        new BrokerContainer(
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
            { parent },
        );
    const allNodeIds = cluster ? joined(cluster.nodes.map((n) => n.containerId)) : container.containerId;
    const tlsOnly = tls?.only === true;
    return {
        nodeId: cluster ? onceAllReady(container.containerId, allNodeIds) : container.containerId,
        allNodeIds,
        transport: pulumi.secret(container.containerName.apply((c) => ({ kind: "docker" as const, container: c }))),
        rabbitmqVersion: image.rabbitmqVersion,
        erlangVersion: image.erlangVersion,
        // With only TLS listeners open, burrow itself talks TLS, verifying with the stack's CA.
        endpoint: {
            amqpScheme: tlsOnly ? "amqps" : "amqp",
            httpScheme: tlsOnly ? "https" : "http",
            host,
            amqpPort: tlsOnly ? tls!.amqpsPort : s.amqpPort,
            managementPort: tlsOnly ? tls!.managementPort : s.managementPort,
            metricsPort: s.metricsPort,
        },
        caCert: certs ? certs.caCert : pulumi.output(""),
        tlsEndpoint: tls ? { amqpsPort: tls.amqpsPort, managementPort: tls.managementPort } : undefined,
        clusterNodes: pulumi.output(
            s.cluster
                ? Array.from({ length: s.cluster.nodes }, (_, k) => {
                      const ports = dockerNodePorts(s, k + 1);
                      return {
                          node: `rabbit@${clusterHostname(k + 1)}`,
                          host,
                          amqpPort: ports.amqpPort,
                          managementPort: ports.managementPort,
                      };
                  })
                : [],
        ),
        consumeAt: s.cluster && s.cluster.nodes > 1 ? { host, amqpPort: dockerNodePorts(s, 2).amqpPort } : undefined,
        containerName: container.containerName,
        adminMadeAtBoot: true,
        blue: generation.blue,
    };
}
