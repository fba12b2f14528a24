// Runs a command without a shell and returns its output; the one place external
// commands (docker, later ssh) are started, so every failure reads the same way.
import { spawn } from "child_process";

export interface ExecResult {
    stdout: string;
    stderr: string;
}

export interface ExecOptions {
    /** Written to the command's standard input (how secrets reach rabbitmqctl). */
    input?: string;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
}

/** A failed command: a plain Error (it crosses Pulumi's closure serialization) with the details attached. */
export interface CommandError extends Error {
    command: string;
    exitCode: number | null;
    stdout: string;
    stderr: string;
}

function commandError(
    command: string,
    exitCode: number | null,
    stdout: string,
    stderr: string,
    reason: string,
): CommandError {
    const err = new Error(`\`${command}\` ${reason}${stderr.trim() ? `: ${lastLines(stderr, 6)}` : ""}`);
    return Object.assign(err, { command, exitCode, stdout, stderr });
}

function lastLines(s: string, n: number): string {
    return s.trim().split("\n").slice(-n).join("\n");
}

/** Arguments shown in errors; pass `redact` for values that must never be printed. */
export function execFile(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const shown = [file, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, {
            env: opts.env ?? process.env,
            cwd: opts.cwd,
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = opts.timeoutMs
            ? setTimeout(() => {
                  timedOut = true;
                  child.kill("SIGKILL");
              }, opts.timeoutMs)
            : undefined;
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", (err) => {
            if (timer) clearTimeout(timer);
            const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
            reject(
                commandError(
                    shown,
                    null,
                    stdout,
                    stderr,
                    missing
                        ? `could not start: \`${file}\` is not on PATH (run scripts/bootstrap)`
                        : `could not start: ${err.message}`,
                ),
            );
        });
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            if (timedOut) reject(commandError(shown, code, stdout, stderr, `timed out after ${opts.timeoutMs} ms`));
            else if (code !== 0) reject(commandError(shown, code, stdout, stderr, `failed with exit code ${code}`));
            else resolve({ stdout, stderr });
        });
        child.stdin.on("error", () => undefined); // the command may exit before reading its input
        child.stdin.end(opts.input ?? "");
    });
}

/** Whether a Docker object exists: `docker <kind> inspect <name>` succeeds. */
export function dockerExists(kind: "image" | "volume" | "network" | "container", name: string): Promise<boolean> {
    return docker([kind, "inspect", name]).then(
        () => true,
        () => false,
    );
}

export function docker(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    // The classic builder builds FROM local images without asking a registry.
    return execFile("docker", args, { ...opts, env: { ...process.env, DOCKER_BUILDKIT: "0", ...opts.env } });
}
