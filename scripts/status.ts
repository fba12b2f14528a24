// `npm run status [-- --json] [--stack NAME]`: the health of every node of the stack's broker,
// as a CI or cron check. Per node: running, resource alarms, partitions, open files, memory
// and disk against their limits, connections, and (Docker) the container's HEALTHCHECK, which
// runs RabbitMQ's staged checks; then every queue's depth.
// Exit 0: healthy; 1: unhealthy (a node down, missing or in an alarm, a partition, a failing
// health check, or the broker not answering); 2: bad usage or no broker to check.
import { docker } from "../lib/exec";
import { NodeFigures, QueueDepth, mb, nodeProblems, readNodes, readQueues } from "../lib/node-health";
import { BrokerOutputs, apiOf, defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

interface ContainerHealth {
    name: string;
    /** healthy, unhealthy, starting, or the container's state when it is not running. */
    health: string;
    /** The last health check's output (RabbitMQ's staged checks, burrow-health). */
    lastCheck: string;
}

interface Status {
    healthy: boolean;
    problems: string[];
    nodes: NodeFigures[];
    containers: ContainerHealth[];
    queues: QueueDepth[];
    connections: number;
}

/** The stack's containers (Docker target) with their HEALTHCHECK state. */
async function containers(stack: string): Promise<ContainerHealth[]> {
    const ps = await docker(["ps", "-aq", "--filter", `label=burrow.stack=${stack}`]);
    const ids = ps.stdout.split("\n").filter(Boolean);
    if (ids.length === 0) return [];
    const r = await docker(["inspect", "--format", "{{json .Name}} {{json .State}}", ...ids]);
    return r.stdout
        .trim()
        .split("\n")
        .map((line) => {
            const at = line.indexOf(" ");
            const name = (JSON.parse(line.slice(0, at)) as string).replace(/^\//, "");
            const st = JSON.parse(line.slice(at + 1)) as {
                Status: string;
                Health?: { Status: string; Log?: Array<{ Output: string }> };
            };
            const log = st.Health?.Log ?? [];
            return {
                name,
                health: st.Status !== "running" ? st.Status : (st.Health?.Status ?? "none"),
                lastCheck: (log[log.length - 1]?.Output ?? "").trim(),
            };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
}

async function status(stack: string, o: BrokerOutputs): Promise<Status> {
    const problems: string[] = [];
    const api = apiOf(o);
    let nodes: NodeFigures[] = [];
    let queues: QueueDepth[] = [];
    try {
        nodes = await readNodes(api);
        queues = await readQueues(api);
    } catch (e) {
        problems.push(`the management API at ${o.managementUrl} does not answer: ${(e as Error).message}`);
    }
    for (const x of nodes) problems.push(...nodeProblems(x));
    // A cluster's nodes as the stack made them: one missing from the API has left the cluster.
    for (const want of o.clusterNodes ?? [])
        if (nodes.length > 0 && !nodes.some((x) => x.name === want.node))
            problems.push(`${want.node} is not in the cluster`);
    const boxes = o.containerName ? await containers(stack) : [];
    for (const c of boxes)
        if (c.health !== "healthy" && c.health !== "starting")
            problems.push(
                `container ${c.name} is ${c.health}${c.lastCheck ? `: ${c.lastCheck.split("\n").pop()}` : ""}`,
            );
    return {
        healthy: problems.length === 0,
        problems,
        nodes,
        containers: boxes,
        queues,
        connections: nodes.reduce((sum, x) => sum + x.connections, 0),
    };
}

function print(s: Status) {
    console.log(`broker: ${s.healthy ? "healthy" : "UNHEALTHY"}`);
    for (const p of s.problems) console.log(`  - ${p}`);
    for (const x of s.nodes) {
        const box = s.containers.find((c) => x.name.endsWith(`@${c.name}`) || s.containers.length === 1);
        console.log(
            `node ${x.name}: ${x.running ? "running" : "NOT RUNNING"}` +
                `, alarms: ${x.alarms.length ? x.alarms.join(", ") : "none"}` +
                (x.partitions.length ? `, partitioned from ${x.partitions.join(", ")}` : "") +
                (box ? `, container ${box.name} ${box.health}` : ""),
        );
        console.log(`  open files  ${x.fdUsed} / ${x.fdLimit}`);
        console.log(`  memory      ${mb(x.memUsed)} / watermark ${mb(x.memLimit)}`);
        console.log(`  disk free   ${mb(x.diskFree)} (limit ${mb(x.diskFreeLimit)})`);
        console.log(`  processes   ${x.procUsed} / ${x.procLimit}`);
        console.log(`  connections ${x.connections}`);
    }
    if (s.queues.length > 0) {
        const rows = [
            ["vhost", "queue", "type", "messages", "ready", "unacked", "consumers"],
            ...s.queues.map((q) => [
                q.vhost,
                q.name,
                q.type,
                String(q.messages),
                String(q.ready),
                String(q.unacked),
                String(q.consumers),
            ]),
        ];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
    }
}

async function main(): Promise<number> {
    let json = false;
    let stack: string;
    let outs: BrokerOutputs;
    try {
        const { flags } = parseArgs(process.argv.slice(2), ["json"], ["stack"]);
        json = flags.json === true;
        stack = (flags.stack as string) ?? defaultStack();
        outs = await stackOutputs(stack);
    } catch (e) {
        const error = (e as Error).message;
        if (json) console.log(JSON.stringify({ healthy: false, problems: [error], nodes: [], queues: [] }));
        else console.error(`status: ${error}`);
        return 2;
    }
    const s = await status(stack, outs);
    if (json) console.log(JSON.stringify(s));
    else print(s);
    return s.healthy ? 0 : 1;
}

main().then((code) => process.exit(code));
