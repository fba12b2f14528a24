// Runs a command for the bench and times it from spawn to exit. Output goes to files, not
// pipes: a process the command leaves behind (ssh's ControlPersist master that Ansible
// starts) would hold a pipe open and make "the command finished" wait for it.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MemoryPeaks, sampleTree } from "./memory";

export interface RunOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Written to standard input (secrets travel here, never in argv). */
    input?: string;
    /** Sample the peak memory of the command's process tree. */
    memory?: boolean;
    timeoutMs?: number;
}

export interface RunResult {
    ms: number;
    /** CPU time (user + system) of the command and every descendant it waited for. */
    cpuMs: number;
    stdout: string;
    stderr: string;
    memory?: MemoryPeaks;
}

let scratch: string | undefined;
let seq = 0;
/** The directory the outputs go to, made at the first command and removed at exit. */
function outDir(): string {
    if (!scratch) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-bench-out-"));
        process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        scratch = dir;
    }
    return scratch;
}

const TICK_MS = 10; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

/** CPU time of this process's children that have been waited for (cutime + cstime), ms. */
export function childrenCpuMs(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** Runs `cmd args`; rejects, with the end of its output, when it fails or outlives timeoutMs. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const out = path.join(outDir(), `${++seq}.out`),
        err = path.join(outDir(), `${seq}.err`);
    const fdOut = fs.openSync(out, "w"),
        fdErr = fs.openSync(err, "w");
    return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const cpu0 = childrenCpuMs();
        const child = spawn(cmd, args, {
            cwd: opts.cwd,
            env: opts.env ?? process.env,
            stdio: ["pipe", fdOut, fdErr],
        });
        fs.closeSync(fdOut);
        fs.closeSync(fdErr);
        const sampler = opts.memory && child.pid ? sampleTree(child.pid) : undefined;
        const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
        child.stdin!.on("error", () => undefined);
        child.stdin!.end(opts.input ?? "");
        let done = false;
        const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
            if (done) return; // a failed spawn can report both "error" and "exit"
            done = true;
            const ms = performance.now() - t0;
            const cpuMs = childrenCpuMs() - cpu0;
            if (timer) clearTimeout(timer);
            const memory = sampler?.stop();
            const stdout = fs.readFileSync(out, "utf8"),
                stderr = fs.readFileSync(err, "utf8");
            fs.rmSync(out, { force: true });
            fs.rmSync(err, { force: true });
            if (code === 0) return resolve({ ms, cpuMs, stdout, stderr, memory });
            const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-15).join("\n");
            const why = spawnError ? spawnError.message : signal ? `killed by ${signal}` : `exit ${code}`;
            reject(new Error(`\`${[cmd, ...args].join(" ")}\` failed (${why}):\n${tail}`));
        };
        child.on("error", (e) => finish(null, null, e));
        child.on("exit", (code, signal) => finish(code, signal));
    });
}

/** Times an async step in milliseconds. */
export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
}
