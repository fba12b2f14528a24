// Integration harness, after Pulumi's own automation-api tests: a unique stack per test
// file on a temporary file:// backend, ports from one machine-wide allocator, and a teardown
// that destroys and removes the stack even when a test failed, and fails when it could not.
import {
    LocalWorkspace,
    PreviewOptions,
    PreviewResult,
    RefreshResult,
    Stack,
    UpResult,
} from "@pulumi/pulumi/automation";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { docker } from "../../lib/exec";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");

// ---- ports -----------------------------------------------------------------------------
// Ports come from a range below the kernel's ephemeral range (32768-60999 here), so no
// listen(0) or outgoing connection on the machine is handed one of them, and each is
// locked by a file in PORT_LOCKS for as long as the process that took it lives (its pid and
// start time, so a reused pid does not keep a lock alive): tests running
// at the same time (in this checkout or another) never get the same or overlapping ports,
// and a port stays ours from allocation until Docker binds it.
const PORT_LOCKS = path.join(os.tmpdir(), "burrow-test-ports");
const PORT_RANGE = { first: 20_000, last: 32_000 };
const held = new Set<string>();

process.once("exit", () => {
    for (const f of held) fs.rmSync(f, { force: true });
});

/** "pid start-time": a process, told apart from a later one that reuses its pid (pids wrap fast here). */
function processId(pid: number): string | undefined {
    try {
        // Field 22 of /proc/<pid>/stat, after the command name in parentheses.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return `${pid} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`;
    } catch {
        return undefined;
    }
}
const ME = processId(process.pid) ?? `${process.pid} ?`;

/** Takes the lock file of a port; a lock whose process has exited is taken over. */
function lockPort(port: number): boolean {
    const file = path.join(PORT_LOCKS, String(port));
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            fs.writeFileSync(file, `${ME}\n`, { flag: "wx" });
            held.add(file);
            return true;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            const owner = fs.readFileSync(file, "utf8").trim();
            if (owner === ME || processId(Number(owner.split(" ")[0])) === owner) return false;
            fs.rmSync(file, { force: true }); // stale: its process is gone (a worker may end without "exit")
        }
    }
    return false;
}

function unlockPort(port: number) {
    const file = path.join(PORT_LOCKS, String(port));
    if (held.delete(file)) fs.rmSync(file, { force: true });
}

function bindable(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", () => resolve(false));
        srv.listen({ host: "127.0.0.1", port, exclusive: true }, () => srv.close(() => resolve(true)));
    });
}

/** `count` consecutive ports, free on 127.0.0.1 and locked for this process; returns the first. */
export async function allocatePorts(count: number): Promise<number> {
    fs.mkdirSync(PORT_LOCKS, { recursive: true });
    for (let tries = 0; tries < 500; tries++) {
        const start = PORT_RANGE.first + Math.floor(Math.random() * (PORT_RANGE.last - PORT_RANGE.first - count));
        const taken: number[] = [];
        let ok = true;
        for (let p = start; p < start + count && ok; p++) {
            if (lockPort(p)) taken.push(p);
            else ok = false;
        }
        for (const p of taken) if (ok && !(await bindable(p))) ok = false;
        if (ok) return start;
        for (const p of taken) unlockPort(p);
    }
    throw new Error(`no ${count} consecutive free ports in ${PORT_RANGE.first}-${PORT_RANGE.last}`);
}

/** One port from the allocator (see allocatePorts). */
export async function freePort(): Promise<number> {
    return allocatePorts(1);
}

// ---- stacks ----------------------------------------------------------------------------
export interface TestStack {
    stack: Stack;
    name: string;
    backendDir: string;
    /** Everything the CLI printed on stdout and stderr (up, refresh, preview, destroy), for searching secrets in it. */
    output: string[];
    /** The environment every pulumi command of this stack runs with (and what its docker calls see). */
    env: Record<string, string>;
    /** Runs `up`, its output kept in `output`. */
    up(): Promise<UpResult>;
    /** Runs `preview`, its output kept in `output`. */
    preview(opts?: PreviewOptions): Promise<PreviewResult>;
    /** Runs `refresh`, its output kept in `output`. */
    refresh(): Promise<RefreshResult>;
    /** Destroy, remove the stack and its files; throws if any step failed or Docker objects are left. */
    destroy(): Promise<void>;
}

let built = false;
/** Pulumi runs the compiled program (package.json "main"): compile it if its sources changed. */
function buildProgram() {
    if (built) return;
    execFileSync("bash", [path.join(PROJECT_ROOT, "scripts/build-program")], {
        stdio: ["ignore", "ignore", "inherit"],
    });
    built = true;
}

/** Config keys that carry passwords or keys. */
const SECRET_KEYS = ["adminPassword", "ssh", "users", "shovels", "federationUpstreams"];

export interface TestStackOptions {
    /** Extra environment for every pulumi command (e.g. DOCKER_HOST of a private engine). */
    env?: Record<string, string>;
}

export async function createTestStack(
    role: string,
    config: Record<string, unknown>,
    opts: TestStackOptions = {},
): Promise<TestStack> {
    buildProgram();
    const name = `it-${role}-${Date.now().toString(36)}`;
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), `burrow-${role}-`));
    const env = {
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: `test-passphrase-${name}`,
        PULUMI_CONFIG_PASSPHRASE_FILE: "",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...opts.env,
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: PROJECT_ROOT },
        { envVars: env },
    );
    // The Prometheus port defaults to managementPort+20, outside the allocator: a Docker
    // broker gets one from it (a cluster a block, for scaling up to 9 nodes).
    if (config.target !== "ssh" && config.metricsPort === undefined)
        config = { ...config, metricsPort: await allocatePorts(config.cluster === undefined ? 1 : 9) };
    const all: Record<string, { value: string; secret?: boolean }> = {};
    for (const [k, v] of Object.entries(config)) {
        all[`burrow:${k}`] = {
            value: typeof v === "string" ? v : JSON.stringify(v),
            // As a user must set them (`config set --secret`): Pulumi keeps plain config in the
            // state (the provider's inputs), so a password in a plain key would be there in clear.
            secret: SECRET_KEYS.includes(k),
        };
    }
    await stack.setAllConfig(all);
    const output: string[] = [];
    // Diagnostics (warnings, a program's log) may come on stderr: both are kept.
    const onOutput = (o: string) => output.push(o);
    const onError = (o: string) => output.push(o);
    const dockerEnv = opts.env;
    return {
        stack,
        name,
        backendDir,
        output,
        env,
        up: () => stack.up({ onOutput, onError }),
        preview: (o: PreviewOptions = {}) => stack.preview({ ...o, onOutput, onError }),
        refresh: () => stack.refresh({ onOutput, onError }),
        async destroy() {
            const problems: string[] = [];
            try {
                // As `npm run destroy` does: first repair what a test that killed the CLI left
                // (its lock, a torn state sidecar; scripts/recover-state says what it removed).
                const r = recoverState({ name, env });
                if (r.stderr) process.stderr.write(r.stderr);
                if (r.status !== 0) problems.push(`scripts/recover-state exited ${r.status}: ${r.stderr}`);
                await stack.destroy({ onOutput, onError });
            } catch (e) {
                problems.push(`destroy failed: ${(e as Error).message}`);
            }
            // What destroy must leave: nothing labelled with the stack (not even after a failed destroy).
            const left = await dockerLeftovers(name, dockerEnv).catch((e: Error) => [`(could not list: ${e.message})`]);
            if (left.length > 0) {
                problems.push(`left behind in Docker: ${left.join(", ")}`);
                await forceRemove(name, dockerEnv).catch((e: Error) => problems.push(`force remove: ${e.message}`));
            }
            await stack.workspace.removeStack(name).catch((e: Error) => problems.push(`stack rm failed: ${e.message}`));
            // Pulumi.<stack>.yaml is written into the project by setAllConfig.
            fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`), { force: true });
            fs.rmSync(backendDir, { recursive: true, force: true });
            if (problems.length > 0) throw new Error(`teardown of stack ${name}:\n${problems.join("\n")}`);
        },
    };
}

/**
 * `scripts/recover-state` on a test stack, as `npm run up` and `npm run destroy` run it first:
 * removes the lock and any torn state sidecar a killed CLI left (and says so on stderr).
 */
export function recoverState(ts: Pick<TestStack, "name" | "env">): { status: number | null; stderr: string } {
    const r = spawnSync("bash", [path.join(PROJECT_ROOT, "scripts/recover-state"), ts.name], {
        env: { ...process.env, ...ts.env },
        encoding: "utf8",
    });
    return { status: r.status, stderr: r.stderr };
}

/**
 * Runs every cleanup step even when one fails, then throws all failures together: an
 * afterAll that uses it reports a failed destroy instead of swallowing it.
 */
export async function cleanUp(...steps: Array<(() => Promise<unknown>) | undefined>): Promise<void> {
    const errors: string[] = [];
    for (const step of steps) {
        if (!step) continue;
        try {
            await step();
        } catch (e) {
            errors.push((e as Error).message);
        }
    }
    if (errors.length > 0) throw new Error(errors.join("\n"));
}

const withEnv = (env?: Record<string, string>) => (env ? { env } : {});

/** Docker objects labelled for a stack, and its image tag: what destroy must leave behind (nothing). */
export async function dockerLeftovers(stack: string, env?: Record<string, string>): Promise<string[]> {
    const o = withEnv(env);
    const left: string[] = [];
    const ps = await docker(["ps", "-a", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Names}}"], o);
    const vols = await docker(["volume", "ls", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Name}}"], o);
    const nets = await docker(["network", "ls", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Name}}"], o);
    const img = await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", `burrow/rabbitmq:${stack}`], o);
    for (const s of [ps.stdout, vols.stdout, nets.stdout, img.stdout]) left.push(...s.split("\n").filter(Boolean));
    return left;
}

/** Last resort after a failed destroy: remove what is labelled with the stack. */
export async function forceRemove(stack: string, env?: Record<string, string>): Promise<void> {
    const o = withEnv(env);
    const ps = await docker(["ps", "-aq", "--filter", `label=burrow.stack=${stack}`], o);
    for (const id of ps.stdout.split("\n").filter(Boolean)) await docker(["rm", "-f", id], o).catch(() => undefined);
    const vols = await docker(["volume", "ls", "-q", "--filter", `label=burrow.stack=${stack}`], o);
    for (const v of vols.stdout.split("\n").filter(Boolean))
        await docker(["volume", "rm", "-f", v], o).catch(() => undefined);
    const nets = await docker(["network", "ls", "-q", "--filter", `label=burrow.stack=${stack}`], o);
    for (const n of nets.stdout.split("\n").filter(Boolean))
        await docker(["network", "rm", n], o).catch(() => undefined);
    await docker(["image", "rm", `burrow/rabbitmq:${stack}`], o).catch(() => undefined);
}

/** What an up changed besides "same": empty when the up was a no-op. */
export function changesOf(r: Pick<UpResult, "summary">): Record<string, number> {
    const changes = { ...r.summary.resourceChanges };
    delete changes.same;
    return changes;
}

/**
 * The ids of every resource in the stack's state (and the container a container resource runs
 * now: an in-place upgrade keeps the resource's id), and its pending operations (from `pulumi stack export`).
 */
export async function stateOf(ts: TestStack): Promise<{ ids: Set<string>; pendingOperations: number }> {
    const state = await ts.stack.exportStack();
    const resources: Array<{ id?: string; outputs?: { containerId?: unknown } }> = state.deployment?.resources ?? [];
    return {
        ids: new Set(
            resources
                .flatMap((r) => [r.id, typeof r.outputs?.containerId === "string" ? r.outputs.containerId : undefined])
                .filter((id): id is string => !!id),
        ),
        pendingOperations: (state.deployment?.pending_operations ?? []).length,
    };
}

/** Containers and volumes labelled with the stack whose id the stack's state does not hold. */
export async function dockerOrphans(ts: TestStack, env?: Record<string, string>): Promise<string[]> {
    const { ids } = await stateOf(ts);
    const o = withEnv(env);
    const containers = (
        await docker(["ps", "-a", "--no-trunc", "--filter", `label=burrow.stack=${ts.name}`, "--format", "{{.ID}}"], o)
    ).stdout
        .split("\n")
        .filter(Boolean);
    const volumes = (
        await docker(["volume", "ls", "--filter", `label=burrow.stack=${ts.name}`, "--format", "{{.Name}}"], o)
    ).stdout
        .split("\n")
        .filter(Boolean);
    return [
        ...containers.filter((c) => !ids.has(c)).map((c) => `container ${c.slice(0, 12)}`),
        ...volumes.filter((v) => !ids.has(v)).map((v) => `volume ${v}`),
    ];
}
