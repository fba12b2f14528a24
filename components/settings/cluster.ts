// A cluster's settings and the rules derived from them (node ports, quorum group size):
// each rule is a named function here, used wherever it applies.
import { objectLabel } from "../../lib/labels";
import { Problems } from "./problems";
import { integer, isObject, parseJsonish, parseScalar, show, unknownFields } from "./values";
import { ClusterSettings } from "./types";

/** Most nodes burrow builds a cluster of (Docker: `cluster.nodes`; SSH: `ssh.hosts`). */
export const MAX_CLUSTER_NODES = 9;

/** Node i (1-based) of a Docker cluster publishes amqpPort+i-1, managementPort+i-1 and metricsPort+i-1. */
export function dockerNodePorts(
    base: { amqpPort: number; managementPort: number; metricsPort: number | null },
    index: number,
) {
    return {
        amqpPort: base.amqpPort + index - 1,
        managementPort: base.managementPort + index - 1,
        metricsPort: base.metricsPort === null ? null : base.metricsPort + index - 1,
    };
}

/** How many replicas a new quorum queue gets: the cluster's replication factor (1 without a cluster). */
export function quorumGroupSize(cluster: ClusterSettings | undefined): number {
    return cluster ? cluster.replicationFactor : 1;
}

/**
 * The replica count each quorum queue is kept at, by object label: its own
 * `x-quorum-initial-group-size` if the config gives one, else the cluster's replication factor,
 * never more than the nodes there are. Quorum queues only; without a cluster only the
 * queues that give one. It is how a queue starts, not what it is: a change never declares a
 * queue again (the cluster's membership follows it instead).
 */
export function quorumTargetSizes(
    cluster: ClusterSettings | undefined,
    queues: Array<{ vhost: string; name: string; type: string; arguments: Record<string, unknown> }>,
): Record<string, number> {
    const out: Record<string, number> = {};
    for (const q of queues) {
        if (q.type !== "quorum") continue;
        const explicit = q.arguments["x-quorum-initial-group-size"];
        if (!cluster && typeof explicit !== "number") continue;
        const size = typeof explicit === "number" ? explicit : quorumGroupSize(cluster);
        out[objectLabel(q.vhost, q.name)] = cluster ? Math.min(size, cluster.nodes) : size;
    }
    return out;
}

/** `cluster`: a node count, true, or {nodes, replicationFactor}. `sshHosts`: the node count on the SSH target. */
export function clusterSettings(
    p: Problems,
    v: unknown,
    warnings: string[],
    sshHosts?: number,
): ClusterSettings | undefined {
    const x = parseJsonish(
        typeof v === "string" && /^\s*\d+\s*$/.test(v)
            ? { nodes: Number(v) }
            : typeof v === "number"
              ? { nodes: v }
              : parseScalar(v) === true
                ? {}
                : v,
    );
    if (!isObject(x))
        return p.add("cluster", `is ${show(v)}; use a node count (3), true, or {"nodes": 3, "replicationFactor": 3}`);
    unknownFields(p, "cluster", x, ["nodes", "replicationFactor"]);
    let nodes: number | undefined;
    if (sshHosts !== undefined) {
        // SSH target: one node per host of `ssh.hosts`; a count given as well must agree.
        if (x.nodes !== undefined && parseScalar(x.nodes) !== sshHosts) {
            return p.add(
                "cluster.nodes",
                `is ${show(x.nodes)}, but ${p.ref("ssh.hosts")} lists ${sshHosts} host${sshHosts === 1 ? "" : "s"}; on the SSH target the node count is the number of hosts: remove cluster.nodes or make them agree`,
            );
        }
        if (sshHosts < 1 || sshHosts > MAX_CLUSTER_NODES) return undefined; // reported at ssh.hosts
        nodes = sshHosts;
    } else {
        nodes = integer(p, "cluster.nodes", x.nodes ?? 3, 1, MAX_CLUSTER_NODES, "nodes");
    }
    if (nodes === undefined) return undefined;
    const rf = parseScalar(x.replicationFactor ?? Math.min(3, nodes));
    if (!Number.isInteger(rf) || (rf as number) < 1 || (rf as number) > nodes) {
        return p.add(
            "cluster.replicationFactor",
            `is ${show(x.replicationFactor)}; use a whole number from 1 to the node count (${nodes}${sshHosts !== undefined ? `, the hosts in ${p.ref("ssh.hosts")}` : ""})`,
        );
    }
    if (nodes % 2 === 0) {
        const what =
            sshHosts !== undefined
                ? `${p.ref("ssh.hosts")} lists ${nodes} hosts`
                : `${p.ref("cluster.nodes")} is ${nodes}`;
        warnings.push(
            `${what}, an even number: quorum queues need a majority, so ${nodes} nodes survive no more failures than ${nodes - 1} would; odd counts (3, 5) are safer.`,
        );
    }
    return { nodes, replicationFactor: rf as number };
}
