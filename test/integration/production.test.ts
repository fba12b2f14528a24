// RabbitMQ's production checklist on the Docker target, measured from outside burrow: the
// broker process's open-file limit (/proc/<beam pid>/limits), the disk and memory limits the
// node reports, the Prometheus endpoint, the Docker HEALTHCHECK running RabbitMQ's staged
// checks, `npm run status` healthy and then unhealthy in a real memory alarm, no secret in
// `docker inspect` or any process's environment or argv, and the configuration passthrough:
// a live change without a restart, a change that restarts (a new container, said in the
// preview), and a configuration RabbitMQ's loader refuses, refused before the running node
// is touched.
import { UpResult } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { ManagementApi, get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, changesOf, createTestStack, freePort } from "./harness";

const ADMIN_PASSWORD = "prod-Admin-pa55word-7c1";
const USER_PASSWORD = "prod-App-pa55word-93d";
const MEMORY_MB = 1024;
let ts: TestStack;
let up: UpResult;
let container: string;
let api: ManagementApi;
let metricsPort: number;

interface ApiNode {
    name: string;
    fd_total: number;
    disk_free_limit: number;
    mem_limit: number;
    mem_alarm: boolean;
}
/** Node 1 as the management API reports it, once its first statistics are in (a few seconds after boot). */
const node = () =>
    waitFor("node statistics", 60_000, async () => {
        const n = (await get<ApiNode[]>(api, "/api/nodes"))![0];
        return n.fd_total !== undefined && n.disk_free_limit !== undefined ? n : undefined;
    });
const exec = (...args: string[]) => docker(["exec", container, ...args]).then((r) => r.stdout.trim());
const evalErl = (expr: string) => exec("rabbitmqctl", "-q", "eval", expr);

/** A shell loop over the container's processes (the image has no pgrep). */
const beamLimits = () =>
    exec(
        "sh",
        "-c",
        'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = beam.smp ] && cat $p/limits; done; true',
    );

/** `npm run <script> -- --json --stack <test stack>`, as CI runs it. */
function npmJson(script: string, ...args: string[]): { status: number | null; json: Record<string, unknown> } {
    const r = spawnSync("npm", ["run", "--silent", script, "--", "--json", "--stack", ts.name, ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...ts.env },
        timeout: 180_000,
    });
    return { status: r.status, json: JSON.parse(r.stdout.trim().split("\n").pop() || "{}") };
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
        const v = await probe().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > until) throw new Error(`${what}: not within ${ms / 1000} s`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

interface Health {
    Status: string;
    Log: Array<{ ExitCode: number; Output: string; Start: string }>;
}
const health = async () =>
    JSON.parse(
        await docker(["inspect", "--format", "{{json .State.Health}}", container]).then((r) => r.stdout),
    ) as Health;

/** The Docker engine's own ceiling for a container, measured as a container sees it. */
async function engineCap(): Promise<number> {
    const r = await docker([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "sh",
        "burrow/debian:trixie",
        "-c",
        "ulimit -Hn",
    ]);
    const v = r.stdout.trim();
    return v === "unlimited" ? Infinity : Number(v);
}

beforeAll(async () => {
    metricsPort = await freePort();
    ts = await createTestStack("prod", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        metricsPort,
        memoryLimitMb: MEMORY_MB,
        adminPassword: ADMIN_PASSWORD,
        users: [{ name: "app", password: USER_PASSWORD, permissions: [{ vhost: "/" }] }],
    });
    up = await ts.up();
    container = up.outputs.containerName.value;
    api = { url: up.outputs.managementUrl.value, username: "admin", password: ADMIN_PASSWORD };
});
afterAll(async () => ts?.destroy());

describe("RabbitMQ's production checklist, applied by default", () => {
    it("gives the broker process 65,536 open files, or the engine's hard limit where lower, and says so", async () => {
        const cap = await engineCap();
        const limits = await beamLimits();
        const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits);
        const soft = Number(m?.[1]);
        recordFigure("production.docker.fd-limit", soft);
        if (Number.isFinite(cap)) recordFigure("production.docker.engine-fd-cap", cap);
        expect(soft).toBe(Math.min(65536, cap));
        expect(Number(m?.[2])).toBe(soft);
        expect(soft).toBeGreaterThan(1024);
        const warned = ts.output.join("").includes(`caps open files at ${cap} (its hard limit)`);
        expect(warned).toBe(cap < 65536);
        // The management API reports the same limit.
        expect((await node()).fd_total).toBe(soft);
    });

    it("sets the disk limit to 1.0 x the memory RabbitMQ is told it has, which is the container's limit", async () => {
        const n = await node();
        recordFigure("production.docker.disk-free-limit-bytes", n.disk_free_limit);
        recordFigure("production.docker.mem-limit-bytes", n.mem_limit);
        expect(n.disk_free_limit).toBe(MEMORY_MB * 1024 * 1024);
        expect(await evalErl("vm_memory_monitor:get_total_memory().")).toBe(String(MEMORY_MB * 1024 * 1024));
        expect(n.mem_limit).toBe(Math.floor(0.6 * MEMORY_MB * 1024 * 1024));
        // A single node: RabbitMQ's own default partition handling.
        expect(await evalErl("application:get_env(rabbit, cluster_partition_handling).")).toBe("{ok,ignore}");
    });

    it("shows the figures in `npm run smoke -- --json`", () => {
        const { status, json } = npmJson("smoke");
        expect(status).toBe(0);
        const nodes = json.nodes as Array<Record<string, unknown>>;
        expect(nodes).toHaveLength(1);
        expect(nodes[0]).toMatchObject({
            diskFreeLimit: MEMORY_MB * 1024 * 1024,
            memLimit: Math.floor(0.6 * MEMORY_MB * 1024 * 1024),
            alarms: [],
        });
        expect(nodes[0].fdLimit).toBeGreaterThan(1024);
    });

    it("serves Prometheus metrics at the stack output metricsUrl", async () => {
        expect(up.outputs.metricsUrl.value).toBe(`http://127.0.0.1:${metricsPort}/metrics`);
        const res = await fetch(up.outputs.metricsUrl.value);
        const text = await res.text();
        const series = text.split("\n").filter((l) => l.startsWith("rabbitmq_"));
        recordFigure("production.docker.prometheus-rabbitmq-series", series.length);
        expect(res.status).toBe(200);
        expect(series.length).toBeGreaterThan(10);
        expect(text).toMatch(/^rabbitmq_resident_memory_limit_bytes /m);
    });
});

describe("health: RabbitMQ's staged checks", () => {
    it("the Docker HEALTHCHECK runs check_running, check_local_alarms, check_port_connectivity and is healthy", async () => {
        const h = await waitFor("container healthy", 150_000, async () => {
            const x = await health();
            return x.Status === "healthy" ? x : undefined;
        });
        const out = h.Log[h.Log.length - 1].Output;
        const stages = [...out.matchAll(/burrow-health: (\w+) ok in (\d+) ms/g)];
        const figure = {
            check_running: "production.health.check_running-ms",
            check_local_alarms: "production.health.check_local_alarms-ms",
            check_port_connectivity: "production.health.check_port_connectivity-ms",
        } as const;
        for (const [, stage, ms] of stages)
            if (stage in figure) recordFigure(figure[stage as keyof typeof figure], Number(ms));
        recordFigure("production.health.stages-passed", stages.length, 3);
        expect(stages.map((s) => s[1])).toEqual(["check_running", "check_local_alarms", "check_port_connectivity"]);
    });

    it("`npm run status` says healthy (exit 0) with every node's figures, queues and connections", () => {
        const { status, json } = npmJson("status");
        expect(json.problems).toEqual([]);
        expect(status).toBe(0);
        expect(json.healthy).toBe(true);
        const n = (json.nodes as Array<Record<string, unknown>>)[0];
        expect(n).toMatchObject({ running: true, alarms: [], diskFreeLimit: MEMORY_MB * 1024 * 1024 });
        expect(n.fdLimit).toBeGreaterThan(1024);
        expect((json.containers as Array<{ health: string }>)[0].health).toBe("healthy");
        expect((json.queues as Array<{ name: string }>).map((q) => q.name)).toContain("burrow.smoke");
        expect(json).toHaveProperty("connections");
    });

    it("in a memory alarm: `npm run status` exits 1 naming it, and the health check fails at check_local_alarms", async () => {
        await exec("rabbitmqctl", "-q", "set_vm_memory_high_watermark", "0.0001");
        try {
            await waitFor("memory alarm", 60_000, async () => ((await node()).mem_alarm ? true : undefined));
            const { status, json } = npmJson("status");
            expect(status).toBe(1);
            expect(json.healthy).toBe(false);
            expect((json.problems as string[]).join("\n")).toMatch(/rabbit@\S+ has a memory alarm/);
            const since = new Date().toISOString();
            const failed = await waitFor("a failing health check", 120_000, async () => {
                const x = await health();
                return x.Log.find((l) => l.Start > since && l.ExitCode !== 0);
            });
            recordFigure(
                "production.health.alarm-failed-at-check_local_alarms",
                failed.Output.includes("check_running ok") && failed.Output.includes("check_local_alarms failed")
                    ? 1
                    : 0,
                1,
            );
            expect(failed.Output).toContain("burrow-health: check_running ok");
            expect(failed.Output).toContain("burrow-health: check_local_alarms failed");
        } finally {
            await exec("rabbitmqctl", "-q", "set_vm_memory_high_watermark", "0.6");
        }
        await waitFor("alarm cleared", 60_000, async () => ((await node()).mem_alarm ? undefined : true));
        expect(npmJson("status").status).toBe(0);
    });
});

describe("secrets stay out of docker inspect, process environments and argv", () => {
    it("finds no cookie, admin password or user password there", async () => {
        const cookie = await exec("cat", "/var/lib/rabbitmq/.erlang.cookie");
        expect(cookie.length).toBeGreaterThan(20);
        const inspect = (await docker(["inspect", container])).stdout;
        // Every process of the container: its environment and command line.
        const procs = await exec(
            "sh",
            "-c",
            "for p in /proc/[0-9]*; do cat $p/environ $p/cmdline 2>/dev/null | tr '\\0' '\\n'; done",
        );
        expect(procs).toContain("RABBITMQ_NODENAME"); // the scan reads what it should
        const secrets = { cookie, admin: ADMIN_PASSWORD, user: USER_PASSWORD };
        const found = Object.entries(secrets).flatMap(([what, v]) => [
            ...(inspect.includes(v) ? [`${what} in docker inspect`] : []),
            ...(procs.includes(v) ? [`${what} in /proc`] : []),
        ]);
        recordFigure("production.docker.secrets-leaked", found.length, 3);
        expect(found).toEqual([]);
        expect(inspect).not.toContain("BURROW_ERLANG_COOKIE");
        // burrow's copy of the cookie is gone once the node has its own.
        expect(await exec("sh", "-c", "ls -A /etc/rabbitmq/burrow")).not.toContain("erlang.cookie");
    });
});

describe("configuration changes: least disruption", () => {
    const startedAt = () =>
        docker(["inspect", "--format", "{{.Id}} {{.State.StartedAt}}", container]).then((r) => r.stdout.trim());

    it("applies a new memory watermark and disk limit to the running node, without a restart", async () => {
        const before = await startedAt();
        await ts.stack.setConfig("burrow:memoryHighWatermark", { value: "0.5" });
        await ts.stack.setConfig("burrow:diskFreeLimit", { value: "2GB" });
        const preview = await ts.preview({ diff: true });
        expect(preview.changeSummary.replace ?? 0).toBe(0);
        expect(preview.changeSummary.update).toBeGreaterThanOrEqual(1);
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect(await startedAt()).toBe(before);
        // The management API's figures follow within a few seconds.
        const n = await waitFor("new limits in /api/nodes", 60_000, async () => {
            const x = await node();
            return x.disk_free_limit === 2_000_000_000 ? x : undefined;
        });
        expect(n.mem_limit).toBe(Math.floor(0.5 * MEMORY_MB * 1024 * 1024));
        expect(await evalErl("rabbit_disk_monitor:get_disk_free_limit().")).toBe("2000000000");
        // The files say the same, for the next start.
        expect(await exec("cat", "/etc/rabbitmq/burrow/live.conf")).toContain("disk_free_limit.absolute = 2GB");
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("restarts the node (a new container on its volume, said in the preview) for rabbitmq.conf and rabbitmq-env.conf entries", async () => {
        const before = await startedAt();
        await ts.stack.setConfig("burrow:rabbitmqConf", { value: JSON.stringify({ heartbeat: 45 }) });
        await ts.stack.setConfig("burrow:envConfig", {
            value: JSON.stringify({ SERVER_ADDITIONAL_ERL_ARGS: "+S 1:1" }),
        });
        const from = ts.output.length;
        const preview = await ts.preview({ diff: true });
        const said = ts.output.slice(from).join("") + preview.stdout + preview.stderr;
        // A restart is a new container on the same volume, made by an update (the rolling
        // upgrade's steps), and the preview says so.
        expect(preview.stdout, preview.stdout).toMatch(
            /~\s*pulumi-nodejs:dynamic\/burrow:RabbitmqContainer: \(update\)/,
        );
        expect(said).toMatch(
            /rabbit@burrow \(burrow-[^)]+\) restarts: its container is made again on the same volume \(changed: [^)]*rabbitmqConf/,
        );
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect(r.outputs.smoke.value.ok).toBe(true);
        expect(await startedAt()).not.toBe(before);
        expect(await evalErl("application:get_env(rabbit, heartbeat).")).toBe("{ok,45}");
        expect(await evalErl("erlang:system_info(schedulers).")).toBe("1");
        // The live settings survived the restart.
        expect((await node()).disk_free_limit).toBe(2_000_000_000);
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("refuses a configuration RabbitMQ's own loader refuses, at preview and up, and leaves the running node alone", async () => {
        const before = await startedAt();
        const refused: string[] = [];
        for (const [key, value] of [
            ["burrow:advancedConfig", "[{rabbit, [{consumer_timeout, }]}]."],
            ["burrow:rabbitmqConf", JSON.stringify({ heartbeat: "thirty" })],
        ]) {
            await ts.stack.setConfig(key, { value });
            const t0 = Date.now();
            const err = await ts.preview().then(
                () => undefined,
                (e: Error) => e,
            );
            recordFigure("production.docker.config-check-preview-seconds", (Date.now() - t0) / 1000);
            expect(err, `preview with ${key} = ${value}`).toBeInstanceOf(Error);
            expect(err!.message).toContain("RabbitMQ's own config loader refuses the new configuration");
            refused.push(err!.message);
            const upErr = await ts.up().then(
                () => undefined,
                (e: Error) => e,
            );
            expect(upErr).toBeInstanceOf(Error);
            expect(await startedAt()).toBe(before);
            expect(await exec("rabbitmq-diagnostics", "-q", "check_running")).toContain("running");
            await ts.stack.removeConfig(key);
        }
        expect(refused[0]).toMatch(/advanced\.config line 1: syntax error before: '\}'/);
        expect(refused[1]).toMatch(/heartbeat/);
        recordFigure("production.docker.bad-configs-refused", refused.length, 2);
        // A valid one goes in.
        await ts.stack.setConfig("burrow:rabbitmqConf", { value: JSON.stringify({ heartbeat: 45 }) });
        await ts.stack.setConfig("burrow:advancedConfig", { value: "[{rabbit, [{consumer_timeout, 3600000}]}]." });
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect(await evalErl("application:get_env(rabbit, consumer_timeout).")).toBe("{ok,3600000}");
    });
});
