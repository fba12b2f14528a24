// The CLI killed with SIGKILL in the middle of `pulumi up` cannot clean up after itself.
// burrow's language host (toolchain/langhost) checks the engine's health like upstream's
// and, once the CLI is gone, stops the Node program it started and exits: no process of
// that run is left behind, and the next `up` completes.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFigure } from "../figures";
import { PROJECT_ROOT, TestStack, createTestStack, freePort, recoverState } from "./harness";

interface Proc {
    pid: number;
    role: "language host" | "program" | "dynamic provider" | "other";
    cmdline: string;
}

/** Every process whose environment points at this run's backend directory, with its role. */
function processesOf(backendDir: string): Proc[] {
    const out: Proc[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
        let environ: string, cmdline: string;
        try {
            environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
            cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
        } catch {
            continue; // gone meanwhile, or not ours to read
        }
        if (!environ.split("\0").includes(`PULUMI_BACKEND_URL=file://${backendDir}`)) continue;
        const role = /pulumi-language-nodejs/.test(cmdline.split(" ")[0])
            ? "language host"
            : /@pulumi\/pulumi\/cmd\/run\b/.test(cmdline)
              ? "program"
              : /cmd\/dynamic-provider/.test(cmdline)
                ? "dynamic provider"
                : "other";
        out.push({ pid: Number(entry), role, cmdline });
    }
    return out;
}

let ts: TestStack;
beforeAll(async () => {
    ts = await createTestStack("orphan", { amqpPort: await freePort(), managementPort: await freePort() });
});
afterAll(async () => ts?.destroy());

describe("pulumi up, its CLI killed with SIGKILL half-way", () => {
    let cli: ChildProcess;
    let before: Proc[] = [];

    it("leaves no language host, program or dynamic-provider plugin of that run behind", async () => {
        cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", ts.name], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        cli.stderr!.on("data", (d) => (out += d));
        const exited = new Promise<void>((resolve) => cli.on("exit", () => resolve()));
        // Mid-up: the program has registered its resources and waits for the broker's container.
        await new Promise<void>((resolve, reject) => {
            const guard = setTimeout(() => reject(new Error(`no "creating" within 5 min:\n${out}`)), 5 * 60_000);
            cli.stdout!.on("data", (d) => {
                out += d;
                if (/burrow-container-node creating/.test(out)) {
                    clearTimeout(guard);
                    resolve();
                }
            });
            cli.on("exit", (code) => reject(new Error(`the CLI ended (exit ${code}) before the kill:\n${out}`)));
        });
        before = processesOf(ts.backendDir);
        console.log(
            `processes of the run before the kill:\n${before.map((p) => `  ${p.pid} ${p.role}: ${p.cmdline.slice(0, 140)}`).join("\n")}`,
        );
        // The check below must be able to fail: all three are running now.
        expect(before.map((p) => p.role)).toEqual(
            expect.arrayContaining(["language host", "program", "dynamic provider"]),
        );

        cli.kill("SIGKILL");
        await exited;
        const t0 = Date.now();
        // Every process of that run: the language host, the program, and the dynamic-provider
        // plugin (which the CLI starts; burrow's watchdog ends it when the CLI is gone).
        let left = processesOf(ts.backendDir);
        // A generous hang guard, not a speed target: the figure below is the measurement.
        while (left.length > 0 && Date.now() - t0 < 60_000) {
            await new Promise((r) => setTimeout(r, 100));
            left = processesOf(ts.backendDir);
        }
        const ms = Date.now() - t0;
        const rest = processesOf(ts.backendDir);
        console.log(
            `after SIGKILL of the CLI, waited ${ms} ms for the language host and the program; still running of that run:\n${rest.map((p) => `  ${p.pid} ${p.role}: ${p.cmdline.slice(0, 140)}`).join("\n") || "  nothing"}`,
        );
        // End what this test started, by pid, before judging (only ever something left by a failure).
        for (const p of rest) process.kill(p.pid, "SIGKILL");
        expect(left.map((p) => `${p.pid} ${p.role}: ${p.cmdline}`)).toEqual([]);
        recordFigure("langhost.cli-sigkill.gone-ms", ms);
    });

    it("is completed by the next up, once scripts/recover-state (run first by npm run up) repairs what the kill left", async () => {
        // What a kill can leave in the file backend: the dead CLI's lock, always; and, when the
        // kill lands inside a checkpoint write (CI saw it: "failed to load checkpoint: EOF"),
        // the state fileblob is in between its steps: the new checkpoint complete in
        // `<stack>.json.<hex>.tmp`, the sidecar `<stack>.json.attrs` truncated, the previous
        // checkpoint still in place. Where a kill lands varies, so that state is made here
        // every time from the run's own files: the latest checkpoint goes to the .tmp, the
        // previous one (Pulumi's .bak) back in place, with its older time.
        const stacks = path.join(ts.backendDir, ".pulumi", "stacks", "burrow");
        const checkpoint = path.join(stacks, `${ts.name}.json`);
        const sidecar = `${checkpoint}.attrs`;
        const latest = fs.readFileSync(checkpoint, "utf8");
        const previous = fs.readFileSync(`${checkpoint}.bak`, "utf8");
        expect(previous).not.toBe(latest);
        const pending = `${checkpoint}.${Date.now().toString(16)}.tmp`;
        fs.renameSync(checkpoint, pending);
        fs.writeFileSync(checkpoint, previous);
        const older = new Date(fs.statSync(pending).mtimeMs - 1000);
        fs.utimesSync(checkpoint, older, older);
        fs.truncateSync(sidecar, 0);
        await expect(ts.stack.up()).rejects.toThrow(/failed to load checkpoint: EOF/);

        const r = recoverState(ts);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toContain(`put the new checkpoint (${path.basename(pending)}) in place of ${ts.name}.json`);
        expect(r.stderr).toContain("removed the stale lock");
        expect(fs.existsSync(sidecar)).toBe(false);
        expect(fs.readFileSync(checkpoint, "utf8")).toBe(latest);
        // Run again on a sound backend it changes nothing and says nothing.
        const again = recoverState(ts);
        expect(again.status, again.stderr).toBe(0);
        expect(again.stderr).toBe("");
        const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
    });
});
