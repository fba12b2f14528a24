// RabbitMQ's production checklist on the SSH target (an sshd container as the host, Debian's
// init script: the test host has no systemd), measured on the host itself: the broker
// process's open-file limit from /proc/<beam pid>/limits, the memory RabbitMQ is told and the
// disk limit it derives, Prometheus metrics, the configuration passthrough (a live change keeps
// the node's process, a restart-worthy one replaces it, one RabbitMQ's loader refuses changes
// nothing), and readiness by RabbitMQ's staged checks, which fails naming the stage.
import { UpResult } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagementApi, get } from "../../lib/management-client";
import { SshTarget, sshExec } from "../../lib/ssh";
import { recordFigure } from "../figures";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { startSshHost } from "./ssh-host";

const ADMIN_PASSWORD = "ssh-prod-Admin-pa55-e2";
let ts: TestStack;
let up: UpResult;
let target: SshTarget;
let remove: () => Promise<void>;
let api: ManagementApi;
let metricsPort: number;

const onHost = async (cmd: string) => (await sshExec(target, cmd, { timeoutMs: 120_000 })).stdout.trim();
const beamPid = () => onHost("pgrep -u rabbitmq -f beam.smp | head -1");
const evalErl = (expr: string) => onHost(`rabbitmqctl -q eval '${expr}'`);
type ApiNode = { fd_total: number; disk_free_limit: number; mem_limit: number };
/** The node as the management API reports it, once its statistics are in (a few seconds after a (re)start). */
async function node(): Promise<ApiNode> {
    for (const deadline = Date.now() + 60_000; ;) {
        const n = (await get<ApiNode[]>(api, "/api/nodes"))![0];
        if (n.fd_total !== undefined && n.disk_free_limit !== undefined) return n;
        if (Date.now() > deadline) throw new Error("the node's statistics did not appear within 60 s");
        await new Promise((r) => setTimeout(r, 1000));
    }
}
const upAgain = () => ts.up();
const failedUp = () =>
    upAgain().then(
        () => undefined,
        (e: Error) => e,
    );

beforeAll(async () => {
    const amqpPort = await freePort();
    const managementPort = await freePort();
    metricsPort = await freePort();
    // A host whose cgroup has less memory than the machine: RabbitMQ must be told the smaller figure.
    const host = await startSshHost("ssh-prod", { amqpPort, managementPort, metricsPort }, { memoryMb: 2048 });
    target = host.target;
    remove = host.remove;
    ts = await createTestStack("ssh-prod", {
        target: "ssh",
        adminPassword: ADMIN_PASSWORD,
        ssh: {
            host: "127.0.0.1",
            port: host.sshPort,
            privateKey: host.keys.private,
            hostKey: host.hostKey,
            accessAmqpPort: amqpPort,
            accessManagementPort: managementPort,
            accessMetricsPort: metricsPort,
        },
        rabbitmqConf: { heartbeat: 40 },
        advancedConfig: "[{rabbit, [{consumer_timeout, 1800000}]}].",
        envConfig: { SERVER_ADDITIONAL_ERL_ARGS: "+S 1:1" },
    });
    up = await upAgain();
    api = { url: up.outputs.managementUrl.value, username: "admin", password: ADMIN_PASSWORD };
});
afterAll(async () => {
    await ts?.destroy().catch((e) => console.error(e));
    await remove?.();
});

describe("RabbitMQ's production checklist on an SSH host (init script)", () => {
    it("gives the broker process 65,536 open files or the host's hard limit, measured in /proc, and warns when capped", async () => {
        const hard = Number(await onHost("ulimit -Hn"));
        const limits = await onHost(`cat /proc/$(pgrep -u rabbitmq -f beam.smp | head -1)/limits`);
        const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
        recordFigure("production.ssh.fd-limit", soft);
        recordFigure("production.ssh.host-hard-fd-limit", hard);
        expect(soft).toBe(Math.min(65536, hard));
        expect(soft).toBeGreaterThan(1024);
        expect((await node()).fd_total).toBe(soft);
        // The init script's limit comes from /etc/default/rabbitmq-server.
        expect(await onHost("grep -c 'ulimit -n' /etc/default/rabbitmq-server")).toBe("1");
        expect(ts.output.join("").includes(`host 127.0.0.1 caps open files at ${soft} (its hard limit)`)).toBe(
            soft < 65536,
        );
    });

    it("tells RabbitMQ the host's memory (here its cgroup limit, 2 GB) and sets the disk limit to 1.0 x that", async () => {
        const memTotal = Number(await onHost("awk '/^MemTotal:/ {printf \"%d\", $2 * 1024}' /proc/meminfo"));
        const cgroup = await onHost(
            "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
        );
        const expected = cgroup === "max" || Number(cgroup) > memTotal ? memTotal : Number(cgroup);
        recordFigure("production.ssh.memory-told-bytes", expected);
        expect(expected).toBe(2048 * 1024 * 1024); // the host's cgroup limit, not the machine's RAM
        const n = await node();
        recordFigure("production.ssh.disk-free-limit-bytes", n.disk_free_limit);
        expect(await evalErl("vm_memory_monitor:get_total_memory().")).toBe(String(expected));
        expect(n.disk_free_limit).toBe(expected);
        expect(n.mem_limit).toBe(Math.floor(0.6 * expected));
    });

    it("serves Prometheus metrics at metricsUrl", async () => {
        expect(up.outputs.metricsUrl.value).toBe(`http://127.0.0.1:${metricsPort}/metrics`);
        const text = await (await fetch(up.outputs.metricsUrl.value)).text();
        const series = text.split("\n").filter((l) => l.startsWith("rabbitmq_")).length;
        recordFigure("production.ssh.prometheus-rabbitmq-series", series);
        expect(series).toBeGreaterThan(10);
    });

    it("passes rabbitmq.conf keys, advanced.config and rabbitmq-env.conf entries to the node", async () => {
        expect(await evalErl("application:get_env(rabbit, heartbeat).")).toBe("{ok,40}");
        expect(await evalErl("application:get_env(rabbit, consumer_timeout).")).toBe("{ok,1800000}");
        expect(await evalErl("erlang:system_info(schedulers).")).toBe("1");
        expect(changesOf(await upAgain())).toEqual({});
    });
});

describe("configuration changes on an SSH host", () => {
    it("applies the memory watermark and disk limit to the running node, without a restart", async () => {
        const pid = await beamPid();
        await ts.stack.setConfig("burrow:memoryHighWatermark", { value: "0.5" });
        await ts.stack.setConfig("burrow:diskFreeLimit", { value: "2GB" });
        const r = await upAgain();
        expect(r.summary.result).toBe("succeeded");
        expect(await beamPid()).toBe(pid);
        expect(await evalErl("rabbit_disk_monitor:get_disk_free_limit().")).toBe("2000000000");
        expect(await onHost("grep -h disk_free_limit /etc/rabbitmq/conf.d/90-burrow.conf")).toBe(
            "disk_free_limit.absolute = 2GB",
        );
    });

    it("restarts the node for a new rabbitmq.conf key, keeping the live settings", async () => {
        const pid = await beamPid();
        await ts.stack.setConfig("burrow:rabbitmqConf", { value: JSON.stringify({ heartbeat: 50 }) });
        const r = await upAgain();
        expect(r.summary.result).toBe("succeeded");
        expect(await beamPid()).not.toBe(pid);
        expect(await evalErl("application:get_env(rabbit, heartbeat).")).toBe("{ok,50}");
        expect((await node()).disk_free_limit).toBe(2_000_000_000);
    });

    it("refuses an advanced.config RabbitMQ's loader refuses, before touching the running node or its files", async () => {
        const pid = await beamPid();
        const files = await onHost("md5sum /etc/rabbitmq/conf.d/90-burrow.conf /etc/rabbitmq/advanced.config");
        await ts.stack.setConfig("burrow:advancedConfig", { value: "[{rabbit, [{consumer_timeout 5}]}]." });
        const err = await failedUp();
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toContain("RabbitMQ's own config loader refuses the new configuration");
        expect(err!.message).toMatch(/advanced\.config line 1: syntax error before: 5/);
        expect(await beamPid()).toBe(pid);
        expect(await onHost("md5sum /etc/rabbitmq/conf.d/90-burrow.conf /etc/rabbitmq/advanced.config")).toBe(files);
        recordFigure("production.ssh.bad-configs-refused", 1, 1);
        await ts.stack.setConfig("burrow:advancedConfig", { value: "[{rabbit, [{consumer_timeout, 1800000}]}]." });
        expect((await upAgain()).summary.result).toBe("succeeded");
    });

    it("fails readiness naming the stage when a restarted node comes up in a resource alarm", async () => {
        // A disk limit no disk meets, with a change that restarts the node: the node runs,
        // but check_local_alarms never passes.
        await ts.stack.setConfig("burrow:diskFreeLimit", { value: "1000TB" });
        await ts.stack.setConfig("burrow:rabbitmqConf", { value: JSON.stringify({ heartbeat: 55 }) });
        const err = await failedUp();
        const named = /did not become ready within 120 s: check_local_alarms failed/.test(String(err?.message));
        recordFigure("production.ssh.readiness-failed-at-check_local_alarms", named ? 1 : 0, 1);
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toMatch(/did not become ready within 120 s: check_local_alarms failed/);
        await ts.stack.setConfig("burrow:diskFreeLimit", { value: "2GB" });
        const r = await upAgain();
        expect(r.summary.result).toBe("succeeded");
        expect(changesOf(await upAgain())).toEqual({});
    });
});
