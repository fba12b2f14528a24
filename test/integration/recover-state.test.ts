// scripts/recover-state on a real file backend made by the real CLI (no broker needed): what it
// repairs after a `pulumi` process was killed hard, and what it must leave alone while a
// pulumi process that may still be writing holds the stack's lock.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recoverState as recoverStateOf } from "./harness";

const STACK = "recover";
let dir: string;
let env: NodeJS.ProcessEnv;

function pulumi(...args: string[]) {
    return spawnSync("pulumi", [...args, "--stack", STACK, "--non-interactive"], { cwd: dir, env, encoding: "utf8" });
}
const recoverState = () => recoverStateOf({ name: STACK, env: env as Record<string, string> });
const state = () => path.join(dir, "state", ".pulumi");
const sidecar = () => path.join(state(), "stacks", "burrow", `${STACK}.json.attrs`);
const lockDir = () => path.join(state(), "locks", "organization", "burrow", STACK);

/** A lock as the file backend writes it (pkg/backend/diy/lock.go's lockContent). */
function lock(pid: number, hostname: string): string {
    fs.mkdirSync(lockDir(), { recursive: true });
    const file = path.join(lockDir(), "0b6f1c1e-lock.json");
    const content = { pid, username: os.userInfo().username, hostname, timestamp: new Date().toISOString() };
    fs.writeFileSync(file, JSON.stringify(content));
    return file;
}
/** The pid of a process that has ended. */
function deadPid(): number {
    const r = spawnSync("true");
    expect(r.status).toBe(0);
    return r.pid!;
}

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-recover-"));
    fs.mkdirSync(path.join(dir, "state"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: burrow\nruntime: nodejs\n");
    env = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${dir}/state`,
        PULUMI_CONFIG_PASSPHRASE: "recover",
        PULUMI_CONFIG_PASSPHRASE_FILE: "",
    };
    const init = spawnSync("pulumi", ["stack", "init", STACK, "--non-interactive"], {
        cwd: dir,
        env,
        encoding: "utf8",
    });
    expect(init.status, init.stderr).toBe(0);
    expect(pulumi("stack", "export").status).toBe(0);
    expect(fs.existsSync(sidecar()), sidecar()).toBe(true);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("scripts/recover-state after a killed pulumi", () => {
    it("removes a sidecar cut to 0 bytes and a dead process's lock; the stack reads again", () => {
        fs.truncateSync(sidecar(), 0);
        const stale = lock(deadPid(), os.hostname());
        // The state a kill inside a checkpoint write leaves (seen in CI): every command fails.
        expect(pulumi("stack", "export").stderr).toMatch(/failed to load checkpoint: EOF/);

        const r = recoverState();
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toContain(`${STACK}.json.attrs is empty or cut short`);
        expect(r.stderr).toContain("removed the stale lock");
        expect(fs.existsSync(sidecar())).toBe(false);
        expect(fs.existsSync(stale)).toBe(false);
        const exported = pulumi("stack", "export");
        expect(exported.status, exported.stderr).toBe(0);
        expect(JSON.parse(exported.stdout).version).toBe(3);

        // On a sound backend it says nothing and changes nothing.
        const before = fs.readdirSync(state(), { recursive: true }).sort();
        const again = recoverState();
        expect(again.status, again.stderr).toBe(0);
        expect(again.stderr).toBe("");
        expect(fs.readdirSync(state(), { recursive: true }).sort()).toEqual(before);
    });

    it.each([
        ["while the lock's process still runs (it may be writing)", () => lock(process.pid, os.hostname())],
        [
            "when the lock was taken on another host (its process cannot be checked)",
            () => lock(deadPid(), `not-${os.hostname()}`),
        ],
    ])("touches nothing %s", (_why, holder) => {
        fs.truncateSync(sidecar(), 0);
        const held = holder();
        const r = recoverState();
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toBe("");
        expect(fs.statSync(sidecar()).size).toBe(0);
        expect(fs.existsSync(held)).toBe(true);
    });

    it("keeps a whole sidecar and removes one cut short mid-JSON", () => {
        const whole = fs.readFileSync(sidecar(), "utf8");
        expect(() => JSON.parse(whole)).not.toThrow();
        const r1 = recoverState();
        expect(r1.stderr).toBe("");
        expect(fs.readFileSync(sidecar(), "utf8")).toBe(whole);
        fs.writeFileSync(sidecar(), whole.slice(0, Math.floor(whole.length / 2)));
        const r2 = recoverState();
        expect(r2.status, r2.stderr).toBe(0);
        expect(r2.stderr).toContain("is empty or cut short");
        expect(fs.existsSync(sidecar())).toBe(false);
        expect(pulumi("stack", "export").status).toBe(0);
    });
});
