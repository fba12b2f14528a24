// What a broker's nodes report about themselves through the management API (/api/nodes,
// /api/queues, /api/connections): running, alarms, partitions, and the figures of RabbitMQ's
// production checklist (open files, memory, disk), for `npm run status` and `npm run smoke`.
import { ManagementApi, get } from "./management-client";

/** One node as /api/nodes reports it (the columns read here). */
interface ApiNode {
    name: string;
    running?: boolean;
    mem_used?: number;
    mem_limit?: number;
    mem_alarm?: boolean;
    disk_free?: number;
    disk_free_limit?: number;
    disk_free_alarm?: boolean;
    fd_used?: number;
    fd_total?: number;
    sockets_used?: number;
    proc_used?: number;
    proc_total?: number;
    partitions?: string[];
    uptime?: number;
}
const NODE_COLUMNS =
    "name,running,mem_used,mem_limit,mem_alarm,disk_free,disk_free_limit,disk_free_alarm,fd_used,fd_total,sockets_used,proc_used,proc_total,partitions,uptime";

export interface NodeFigures {
    name: string;
    running: boolean;
    /** "memory" and/or "disk": the resource alarms the node has raised. */
    alarms: string[];
    /** Nodes this one cannot see (a network partition). */
    partitions: string[];
    /** Open files: in use and the node's limit (its process's RLIMIT_NOFILE). */
    fdUsed: number;
    fdLimit: number;
    /** Bytes: used and the high watermark (mem_limit = watermark x the memory RabbitMQ was told it has). */
    memUsed: number;
    memLimit: number;
    /** Bytes: free on the data disk and the limit below which publishers are blocked. */
    diskFree: number;
    diskFreeLimit: number;
    /** Erlang processes: in use and the limit. */
    procUsed: number;
    procLimit: number;
    /** Client connections to this node. */
    connections: number;
    uptimeMs: number;
}

export interface QueueDepth {
    vhost: string;
    name: string;
    type: string;
    messages: number;
    ready: number;
    unacked: number;
    consumers: number;
}

const n = (x: number | undefined) => x ?? 0;

/** Every node's figures; connections counted per node. */
export async function readNodes(api: ManagementApi): Promise<NodeFigures[]> {
    // A node that just started has no statistics yet (they come every 5 s): wait for them
    // rather than report 0 open files and 0 bytes free.
    let nodes: ApiNode[];
    for (const deadline = Date.now() + 15_000; ;) {
        nodes = (await get<ApiNode[]>(api, `/api/nodes?columns=${NODE_COLUMNS}`)) ?? [];
        if (!nodes.some((x) => x.running === true && x.fd_total === undefined) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 1000));
    }
    const conns = (await get<Array<{ node: string }>>(api, "/api/connections?columns=node")) ?? [];
    return nodes.map((x) => ({
        name: x.name,
        running: x.running === true,
        alarms: [...(x.mem_alarm ? ["memory"] : []), ...(x.disk_free_alarm ? ["disk"] : [])],
        partitions: x.partitions ?? [],
        fdUsed: n(x.fd_used),
        fdLimit: n(x.fd_total),
        memUsed: n(x.mem_used),
        memLimit: n(x.mem_limit),
        diskFree: n(x.disk_free),
        diskFreeLimit: n(x.disk_free_limit),
        procUsed: n(x.proc_used),
        procLimit: n(x.proc_total),
        connections: conns.filter((c) => c.node === x.name).length,
        uptimeMs: n(x.uptime),
    }));
}

export async function readQueues(api: ManagementApi): Promise<QueueDepth[]> {
    const qs =
        (await get<
            Array<{
                vhost: string;
                name: string;
                type?: string;
                messages?: number;
                messages_ready?: number;
                messages_unacknowledged?: number;
                consumers?: number;
            }>
        >(api, "/api/queues?columns=vhost,name,type,messages,messages_ready,messages_unacknowledged,consumers")) ?? [];
    return qs.map((q) => ({
        vhost: q.vhost,
        name: q.name,
        type: q.type ?? "classic",
        messages: n(q.messages),
        ready: n(q.messages_ready),
        unacked: n(q.messages_unacknowledged),
        consumers: n(q.consumers),
    }));
}

/** What is wrong with a node, one sentence each; [] when it is healthy. */
export function nodeProblems(x: NodeFigures): string[] {
    const out: string[] = [];
    if (!x.running) out.push(`${x.name} is not running`);
    for (const a of x.alarms)
        out.push(
            a === "memory"
                ? `${x.name} has a memory alarm (uses ${mb(x.memUsed)}, watermark ${mb(x.memLimit)}): publishers are blocked`
                : `${x.name} has a disk alarm (${mb(x.diskFree)} free, limit ${mb(x.diskFreeLimit)}): publishers are blocked`,
        );
    if (x.partitions.length > 0) out.push(`${x.name} is partitioned from ${x.partitions.join(", ")}`);
    // RabbitMQ refuses new connections once it runs out of file descriptors.
    if (x.running && x.fdLimit > 0 && x.fdUsed >= 0.9 * x.fdLimit)
        out.push(`${x.name} uses ${x.fdUsed} of its ${x.fdLimit} open files`);
    return out;
}

export const mb = (b: number) => `${(b / 1e6).toFixed(b < 1e6 ? 3 : 0)} MB`;
