// Why a cluster's nodes may be made at the same time: nodes 2..N start only once node 1 has
// booted (awaitFirstNode, components/providers/rabbitmq-container.ts), so RabbitMQ's peer
// discovery, which picks the node in the largest cluster and then the one whose VM started
// first, picks node 1. Made as hard as it gets here, with the container provider itself on
// real Docker: node 2 is made first and node 1 only 8 s later. Without the wait, node 2's VM
// is the older one, it selects itself and boots as a cluster of its own beside node 1 (tried:
// this test then fails on node 1's members).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerImageBuild } from "../../components/broker-image";
import { dockerImageProvider } from "../../components/providers/docker-image";
import { RabbitmqContainerInputs, run } from "../../components/providers/rabbitmq-container";
import { docker } from "../../lib/exec";
import { allocatePorts, cleanUp, dockerLeftovers, forceRemove } from "./harness";

const stack = `formation-${process.pid}`;
const prefix = `burrow-${stack}`;
const labels = { "burrow.stack": stack, "burrow.owner": `test-${process.pid}` };
let image: string;
let ports: number;

beforeAll(async () => {
    ports = await allocatePorts(4);
    const built = await dockerImageProvider.create!({
        tag: `burrow/rabbitmq:${stack}`,
        ...brokerImageBuild("burrow/debian:trixie", ["rabbitmq_management"]),
    });
    image = built.outs!.imageId;
    const l = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    await docker(["network", "create", ...l, prefix]);
    for (const i of [1, 2]) await docker(["volume", "create", ...l, `${prefix}-${i}-data`]);
}, 600_000);
afterAll(() =>
    cleanUp(async () => {
        await forceRemove(stack);
        expect(await dockerLeftovers(stack)).toEqual([]);
    }),
);

function node(i: number): RabbitmqContainerInputs {
    return {
        name: `${prefix}-${i}`,
        image,
        hostname: `rabbit-${i}`,
        nodeName: `rabbit@rabbit-${i}`,
        bindAddress: "127.0.0.1",
        amqpPort: ports + (i - 1) * 2,
        managementPort: ports + (i - 1) * 2 + 1,
        metricsPort: null,
        volume: `${prefix}-${i}-data`,
        memoryLimitMb: 512,
        memoryHighWatermark: 0.6,
        diskFreeLimit: { relative: 1.0 },
        openFileLimit: 8192,
        partitionHandling: "pause_minority",
        rabbitmqConf: {},
        advancedConfig: "",
        envConfig: {},
        erlangCookie: "formation-test-cookie-0123456789",
        labels,
        readyTimeoutMs: 180_000,
        cluster: {
            network: prefix,
            alias: `rabbit-${i}`,
            peers: Array.from({ length: i }, (_, k) => `rabbit@rabbit-${k + 1}`),
        },
        firstNode: i > 1 ? { container: `${prefix}-1`, nodeName: "rabbit@rabbit-1" } : null,
        tls: null,
        bootAdmin: null,
        bootDefinitions: null,
        rabbitmqVersion: "",
    };
}

const startedAt = async (c: string) =>
    Date.parse((await docker(["inspect", "--format", "{{.State.StartedAt}}", c])).stdout.trim());

/** When RabbitMQ in the container said its boot completed (the log line's own timestamp). */
async function bootedAt(c: string): Promise<number> {
    const r = await docker(["logs", "--timestamps", c]);
    const line = `${r.stdout}\n${r.stderr}`.split("\n").find((l) => /completed with \d+ plugins/.test(l));
    expect(line, "node 1's readiness line").toBeDefined();
    return Date.parse(line!.split(" ")[0]);
}

describe("a cluster whose nodes are made together", () => {
    it("has node 2 join node 1 even when node 2's container is made first", async () => {
        const second = run(node(2));
        await new Promise((r) => setTimeout(r, 8_000));
        // Node 2's container exists and waits, not started.
        const waiting = (await docker(["inspect", "--format", "{{.State.Status}}", `${prefix}-2`])).stdout.trim();
        await run(node(1));
        await second;
        const status = JSON.parse(
            (await docker(["exec", `${prefix}-1`, "rabbitmqctl", "-q", "cluster_status", "--formatter", "json"]))
                .stdout,
        ) as { running_nodes: string[] };
        expect(status.running_nodes.sort()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2"]);
        // How: node 2 was made first but started after node 1 had booted.
        expect(waiting).toBe("created");
        expect(await startedAt(`${prefix}-2`)).toBeGreaterThan(await bootedAt(`${prefix}-1`));
    }, 400_000);
});
