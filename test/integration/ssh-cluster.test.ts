// A RabbitMQ cluster on three SSH hosts: containers running sshd on a Docker network the
// test makes (so the hosts resolve each other's names), one pulumi up installs RabbitMQ on
// all three at the same time and forms the cluster with RabbitMQ's own peer discovery. Real checks: the
// management API lists three running nodes, a quorum queue has a member on each, a message
// published through host 1 is consumed through host 3, a re-run changes nothing, removing
// the last host purges it and the cluster forgets it (and a re-run after that changes
// nothing), destroy purges every host. The sshd image is built here when missing (beforeAll
// has the config's 20 min hook timeout), so this file does not depend on ssh.test.ts.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { get } from "../../lib/management-client";
import { sshExec } from "../../lib/ssh";
import { TestStack, changesOf, cleanUp, createTestStack, dockerLeftovers, freePort } from "./harness";
import { sshHostEntry, startSshHost } from "./ssh-host";
import { ed25519KeyPair } from "../ssh-keys";

const PASSWORD = "ssh-cluster-Admin-1";
const network = `burrow-test-ssh-cluster-${Date.now().toString(36)}`;
// Host 3 is named by its nodeName on an extra alias, not by its hostname: both ways are used.
const HOSTNAMES = ["burrow-h1", "burrow-h2", "burrow-h3"];
const NODES = ["rabbit@burrow-h1", "rabbit@burrow-h2", "rabbit@third"];

type Host = Awaited<ReturnType<typeof startSshHost>> & { amqpPort: number; managementPort: number };
const hosts: Host[] = [];
let ts: TestStack;

const url = (i: number) => `amqp://admin:${PASSWORD}@127.0.0.1:${hosts[i].amqpPort}`;
const api = () => ({ url: `http://127.0.0.1:${hosts[0].managementPort}`, username: "admin", password: PASSWORD });
const sshConfig = (count: number) => ({
    user: "root",
    privateKey: hosts[0].keys.private,
    hosts: hosts.slice(0, count).map((h, i) => sshHostEntry(h, i === 2 ? NODES[2] : undefined)),
});

async function onHost(i: number, cmd: string): Promise<string> {
    return (await sshExec(hosts[i].target, cmd)).stdout.trim();
}

async function clusterNodes(): Promise<Array<{ name: string; running: boolean }>> {
    return (
        (await get<Array<{ name: string; running: boolean }>>(api(), "/api/nodes?columns=name,running")) ?? []
    ).sort((a, b) => a.name.localeCompare(b.name));
}

beforeAll(async () => {
    await docker(["network", "create", "--label", "burrow.test=ssh-cluster", network]);
    const keys = ed25519KeyPair();
    for (const [i, hostname] of HOSTNAMES.entries()) {
        const ports = { amqpPort: await freePort(), managementPort: await freePort() };
        const h = await startSshHost("ssh-cluster", ports, {
            network,
            hostname,
            aliases: i === 2 ? ["third"] : [],
            keys,
        });
        hosts.push({ ...h, ...ports });
    }
    ts = await createTestStack("ssh-cluster", {
        target: "ssh",
        adminPassword: PASSWORD,
        cluster: { replicationFactor: 3 },
        ssh: sshConfig(3),
        queues: [{ name: "orders", type: "quorum", smoke: true }],
    });
});

afterAll(() =>
    cleanUp(
        () => ts?.destroy(),
        ...hosts.map((h) => () => docker(["rm", "--force", h.container])),
        () =>
            docker(["network", "rm", network]).catch((e: Error) => {
                if (!/no such network|not found/i.test(e.message)) throw e;
            }),
    ),
);

// Host 2's clock runs SKEW_S behind host 1's, as `date` tells it (the test hosts share one
// kernel clock, so the skew is made by a `date` in /usr/local/bin that reads the real one and
// subtracts). RabbitMQ's peer discovery takes the node with the oldest VM start by each
// host's own clock as the seed, so a first boot waits until its clock has passed host 1's VM
// start as host 1 reports it: host 2 starts SKEW_S later, by the real clock.
const SKEW_S = 20;
const SKEWED_DATE = `#!/bin/bash
case " $* " in *" -d"*|*" --date"*|*" -r"*|*" --reference"*) exec /usr/bin/date "$@" ;; esac
now=$(/usr/bin/date +%s.%N)
exec /usr/bin/date -d "@$(( \${now%.*} - ${SKEW_S} )).\${now#*.}" "$@"
`;
/** A node's Erlang VM start, in microseconds of the (shared) system clock. */
const vmStart = async (i: number) =>
    Number(
        await onHost(
            i,
            "rabbitmqctl -q eval 'erlang:convert_time_unit(erlang:system_info(start_time) + erlang:time_offset(), native, microsecond).'",
        ),
    );

describe("a cluster on three SSH hosts", () => {
    it("installs the hosts at the same time and forms one cluster with one pulumi up; the smoke test passes", async () => {
        await onHost(1, `cat > /usr/local/bin/date <<'EOF'\n${SKEWED_DATE}EOF\nchmod 755 /usr/local/bin/date`);
        // What the install script's bash finds as `date` (to the second: the two reads may straddle one).
        const behind = Number(await onHost(1, "echo $(( $(/usr/bin/date +%s) - $(date +%s) ))"));
        expect(Math.abs(behind - SKEW_S)).toBeLessThanOrEqual(1);
        const t0 = Date.now();
        const up = await ts.up().finally(() => onHost(1, "rm -f /usr/local/bin/date"));
        console.log(`ssh-cluster: up of 3 hosts took ${Math.round((Date.now() - t0) / 1000)} s`);
        expect(up.summary.result).toBe("succeeded");
        // Host 2, whose clock is behind, started its VM after host 1's by at least the skew (real clock).
        const waited = ((await vmStart(1)) - (await vmStart(0))) / 1e6;
        recordFigure("ssh-cluster.skewed-host-started-after-s", Math.round(waited * 10) / 10);
        expect(waited).toBeGreaterThanOrEqual(SKEW_S);
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(up.outputs.clusterNodes.value).toEqual(
            hosts.map((h, i) => ({
                node: NODES[i],
                host: "127.0.0.1",
                amqpPort: h.amqpPort,
                managementPort: h.managementPort,
            })),
        );
        expect(await clusterNodes()).toEqual(
            NODES.map((name) => ({ name, running: true })).sort((a, b) => a.name.localeCompare(b.name)),
        );
        // Each host's own view agrees: it runs the node it was given, in the same cluster.
        expect(await onHost(2, "rabbitmqctl -q eval 'node().'")).toBe(NODES[2]);
        const status = JSON.parse(await onHost(1, "rabbitmqctl -q cluster_status --formatter json")) as {
            running_nodes: string[];
        };
        expect(status.running_nodes.sort()).toEqual([...NODES].sort());
        // At the same time: apt's own record of the install on each host (history.log, to the
        // second) shows the three installs overlapping, host 1's included.
        const spans = await Promise.all(
            [0, 1, 2].map(async (i) => {
                const log = await onHost(i, "cat /var/log/apt/history.log");
                const entry = log.split("\n\n").find((e) => /Commandline: .*install.*rabbitmq-server/.test(e)) ?? "";
                const at = (k: string) =>
                    Date.parse(`${new RegExp(`^${k}: (.*)$`, "m").exec(entry)?.[1]?.replace("  ", " ")}Z`);
                return { start: at("Start-Date"), end: at("End-Date") };
            }),
        );
        expect(
            spans.every((sp) => sp.end >= sp.start),
            JSON.stringify(spans),
        ).toBe(true);
        expect(Math.max(...spans.map((sp) => sp.start)), JSON.stringify(spans)).toBeLessThan(
            Math.min(...spans.map((sp) => sp.end)),
        );
        // RabbitMQ's production checklist for a cluster: every host pauses a minority side.
        for (const i of [0, 1, 2])
            expect(
                await onHost(i, "rabbitmqctl -q eval 'application:get_env(rabbit, cluster_partition_handling).'"),
            ).toBe("{ok,pause_minority}");
    });

    it("places the replicas of a quorum queue declared in config on all three nodes", async () => {
        const q = await get<{ type: string; arguments: Record<string, unknown>; members: string[]; online: string[] }>(
            api(),
            "/api/queues/%2F/orders",
        );
        expect(q?.type).toBe("quorum");
        expect(q?.arguments).toMatchObject({ "x-quorum-initial-group-size": 3 });
        expect([...(q?.members ?? [])].sort()).toEqual([...NODES].sort());
        expect([...(q?.online ?? [])].sort()).toEqual([...NODES].sort());
    });

    it("carries a message published through host 1 to a consumer on host 3", async () => {
        const producer = await amqp.connect(url(0));
        const pch = await producer.createConfirmChannel();
        pch.sendToQueue("orders", Buffer.from("from-host-1"), { persistent: true });
        await pch.waitForConfirms();
        await producer.close();
        const consumer = await amqp.connect(url(2));
        const cch = await consumer.createChannel();
        const m = await cch.get("orders", { noAck: true });
        await consumer.close();
        expect(m && m.content.toString()).toBe("from-host-1");
    });

    it("changes nothing on a second up", async () => {
        const again = await ts.up();
        expect(changesOf(again)).toEqual({});
    });

    it("purges the last host when it is removed, and the remaining cluster forgets its node", async () => {
        await ts.stack.setConfig("burrow:ssh", { value: JSON.stringify(sshConfig(2)), secret: true });
        await ts.stack.setConfig("burrow:cluster", { value: JSON.stringify({ replicationFactor: 2 }) });
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.summary.resourceChanges?.delete).toBeGreaterThanOrEqual(2); // host 3's component and its RemoteRabbitmq
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect((await clusterNodes()).map((n) => n.name)).toEqual(NODES.slice(0, 2));
        expect(await onHost(2, "dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null || echo gone")).not.toContain(
            "install ok installed",
        );
        expect(ts.output.join("\n")).toContain("an even number");
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("keepData: a destroyed 2-host cluster comes back as one cluster with its messages (no node forgotten)", async () => {
        const COUNT = 500;
        const sent = await publishConfirmed(url(0), "orders", COUNT, { prefix: "kept-" });
        recordFigure("ssh-cluster.keepdata.confirmed", sent.confirmed, COUNT);
        expect(sent.confirmed).toBe(COUNT);
        await ts.stack.setConfig("burrow:keepData", { value: "true" });
        expect((await ts.up()).summary.result).toBe("succeeded");
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        // Host 2 kept its node's data (and, not forgotten, boots on it as a member below).
        expect(await onHost(1, "ls /var/lib/rabbitmq/mnesia")).toContain(NODES[1]);
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(await clusterNodes()).toEqual(NODES.slice(0, 2).map((name) => ({ name, running: true })));
        const seen = new Map<string, number>();
        await consumeUpTo(url(1), "orders", COUNT, seen, 2 * 60_000);
        const r = tally(seen, COUNT, await queueDepth(url(0), "orders"), "kept-");
        recordFigure("ssh-cluster.keepdata.lost", r.lost);
        recordFigure("ssh-cluster.keepdata.duplicated", r.duplicated);
        expect(r).toEqual({ received: COUNT, lost: 0, duplicated: 0, leftInQueue: 0 });
        // What a destroy deletes is the state's: an up records keepData false before the destroy below.
        await ts.stack.setConfig("burrow:keepData", { value: "false" });
        expect((await ts.up()).summary.result).toBe("succeeded");
    });

    it("leaves no rabbitmq-server package, data or configuration on any host after destroy", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        for (let i = 0; i < hosts.length; i++) {
            const status = (
                await docker([
                    "exec",
                    hosts[i].container,
                    "sh",
                    "-c",
                    "dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null || echo gone",
                ])
            ).stdout;
            expect(status, `host ${i + 1}`).not.toContain("install ok installed");
            expect(await onHost(i, "ls -d /var/lib/rabbitmq /etc/rabbitmq 2>/dev/null | wc -l"), `host ${i + 1}`).toBe(
                "0",
            );
            expect(await onHost(i, "pgrep -u rabbitmq | wc -l || true"), `host ${i + 1}`).toBe("0");
        }
        expect(await dockerLeftovers(ts.name)).toEqual([]);
    });
});
