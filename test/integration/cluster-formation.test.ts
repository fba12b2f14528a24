// Why a cluster's nodes may be made, and boot, at the same time: a new node lists node 1 and
// itself, and starts once node 1's Erlang VM runs (awaitFirstNode,
// components/providers/rabbitmq-container.ts). RabbitMQ's peer discovery (3.13 and later)
// retries while fewer than two of its listed nodes answer, then picks the node in the largest
// cluster and then the one whose VM started first: node 1. Made as hard as it gets here, with
// the container provider itself on real Docker: nodes 2 and 3 are made first and node 1 only
// 8 s later. Without the wait, node 2's VM is the older one, it selects itself and boots as a
// cluster of its own beside node 1 (tried: this test then fails on node 1's members). The same
// holds for a node whose first boot failed halfway and left files on its volume (tried: with
// such a node starting at once, it formed a cluster of its own).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerImageBuild } from "../../components/broker-image";
import { dockerImageProvider } from "../../components/providers/docker-image";
import { RabbitmqContainerInputs, run, volumeIsBlank } from "../../components/providers/rabbitmq-container";
import { docker } from "../../lib/exec";
import { allocatePorts, cleanUp, dockerLeftovers, forceRemove } from "./harness";

const stack = `formation-${process.pid}`;
const prefix = `burrow-${stack}`;
const labels = { "burrow.stack": stack, "burrow.owner": `test-${process.pid}` };
let image: string;
let version: string;
let ports: number;

beforeAll(async () => {
    ports = await allocatePorts(10);
    const built = await dockerImageProvider.create!({
        tag: `burrow/rabbitmq:${stack}`,
        ...brokerImageBuild("burrow/debian:trixie", ["rabbitmq_management"]),
    });
    image = built.outs!.imageId;
    version = built.outs!.rabbitmqVersion;
    const l = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    for (const group of ["", "-b"]) {
        await docker(["network", "create", ...l, `${prefix}${group}`]);
        for (const i of [1, 2, 3]) await docker(["volume", "create", ...l, `${prefix}${group}-${i}-data`]);
    }
}, 600_000);
afterAll(() =>
    cleanUp(async () => {
        await forceRemove(stack);
        expect(await dockerLeftovers(stack)).toEqual([]);
    }),
);

/** Node i of a cluster; `group` names a second cluster of its own (network, containers, volumes, ports). */
function node(i: number, group = ""): RabbitmqContainerInputs {
    const at = ports + (group ? 6 : 0) + (i - 1) * 2;
    return {
        name: `${prefix}${group}-${i}`,
        image,
        hostname: `rabbit-${i}`,
        nodeName: `rabbit@rabbit-${i}`,
        bindAddress: "127.0.0.1",
        amqpPort: at,
        managementPort: at + 1,
        metricsPort: null,
        volume: `${prefix}${group}-${i}-data`,
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
            network: `${prefix}${group}`,
            alias: `rabbit-${i}`,
            peers: [...new Set([1, i])].map((k) => `rabbit@rabbit-${k}`),
        },
        firstNode: i > 1 ? { container: `${prefix}${group}-1`, nodeName: "rabbit@rabbit-1" } : null,
        tls: null,
        bootAdmin: null,
        bootDefinitions: null,
        rabbitmqVersion: version,
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
    it("has nodes 2 and 3 join node 1 even when their containers are made first, and boot beside it", async () => {
        expect(version).toMatch(/^4\./); // the version whose peer discovery retries (joinsOnRetry)
        const later = [run(node(2)), run(node(3))];
        await new Promise((r) => setTimeout(r, 8_000));
        // Nodes 2 and 3 exist and wait, not started.
        const waiting = await Promise.all(
            [2, 3].map(async (i) =>
                (await docker(["inspect", "--format", "{{.State.Status}}", `${prefix}-${i}`])).stdout.trim(),
            ),
        );
        await run(node(1));
        await Promise.all(later);
        const status = JSON.parse(
            (await docker(["exec", `${prefix}-1`, "rabbitmqctl", "-q", "cluster_status", "--formatter", "json"]))
                .stdout,
        ) as { running_nodes: string[] };
        expect(status.running_nodes.sort()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"]);
        // How: made first, started after node 1 started (its VM is the older one), and booted
        // beside it rather than after it.
        expect(waiting).toEqual(["created", "created"]);
        const node1Started = await startedAt(`${prefix}-1`);
        const node1Booted = await bootedAt(`${prefix}-1`);
        for (const i of [2, 3]) {
            expect(await startedAt(`${prefix}-${i}`)).toBeGreaterThan(node1Started);
            expect(await startedAt(`${prefix}-${i}`)).toBeLessThan(node1Booted);
        }
    }, 400_000);

    it("has a node whose first boot failed halfway (files left on its volume) wait for node 1 again, and join it", async () => {
        const b = (i: number) => `${prefix}-b-${i}`;
        // The failed first boot: node 2 alone, in RabbitMQ's peer discovery retries for a node 1
        // that never comes; its readiness wait gives up and removes the container, not the volume.
        const failed = await run({ ...node(2, "-b"), firstNode: null, readyTimeoutMs: 15_000 }).catch((e: Error) => e);
        expect(failed).toBeInstanceOf(Error);
        expect(await volumeIsBlank(image, `${prefix}-b-2-data`)).toBe(false);
        // The next up: node 2 is made first again, and waits although its volume has files.
        const second = run(node(2, "-b"));
        await new Promise((r) => setTimeout(r, 8_000));
        const waiting = (await docker(["inspect", "--format", "{{.State.Status}}", b(2)])).stdout.trim();
        await run(node(1, "-b"));
        await second;
        const status = JSON.parse(
            (await docker(["exec", b(1), "rabbitmqctl", "-q", "cluster_status", "--formatter", "json"])).stdout,
        ) as { running_nodes: string[] };
        expect(status.running_nodes.sort()).toEqual(["rabbit@rabbit-1", "rabbit@rabbit-2"]);
        expect(waiting).toBe("created");
        expect(await startedAt(b(2))).toBeGreaterThan(await startedAt(b(1)));
    }, 400_000);
});
