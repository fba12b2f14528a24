// scripts/ready: the full bootstrap is skipped only while nothing it depends on changed since
// its last success, and runs again (recording a new fingerprint) as soon as something did.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, expect, it } from "vitest";
import { PROJECT_ROOT } from "./harness";

const toolchain = process.env.BURROW_TOOLCHAIN ?? path.join(PROJECT_ROOT, ".toolchain");
const stamp = path.join(toolchain, "stamps/ready");
const ready = (...args: string[]) => {
    const r = spawnSync("bash", [path.join(PROJECT_ROOT, "scripts/ready"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout + r.stderr;
};
const FAST = "nothing changed since the last bootstrap";
const FULL = /\[bootstrap\] ready in [\d.]+ s/;
const saved = fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8") : undefined;
afterAll(() => {
    if (saved !== undefined) fs.writeFileSync(stamp, saved);
});

it("skips the bootstrap when nothing changed, and runs it once something did", () => {
    ready(); // whatever the state, afterwards the record is current
    expect(ready()).toContain(FAST);

    // A recorded fingerprint that no longer matches (as after a lock file or binary change).
    const [, release] = fs.readFileSync(stamp, "utf8").trim().split(" ");
    fs.writeFileSync(stamp, `0000 ${release}\n`);
    const full = ready();
    expect(full).not.toContain(FAST);
    expect(full).toMatch(FULL);
    expect(fs.readFileSync(stamp, "utf8")).not.toMatch(/^0000 /);
    expect(ready()).toContain(FAST);

    // A bootstrap run in between (it rewrites the plugin shim) leaves the record valid.
    expect(spawnSync("bash", [path.join(PROJECT_ROOT, "scripts/bootstrap"), "--quiet"]).status).toBe(0);
    expect(ready()).toContain(FAST);
}, 120_000);

it("always runs the full bootstrap when given a bootstrap option", () => {
    const out = ready("--release", "trixie");
    expect(out).not.toContain(FAST);
    expect(out).toMatch(FULL);
}, 120_000);

it("runs the full bootstrap when the base image is not there", () => {
    ready();
    const [fp] = fs.readFileSync(stamp, "utf8").trim().split(" ");
    // The record names a release whose image this engine does not have.
    fs.writeFileSync(stamp, `${fp} no-such-release-${Date.now()}\n`);
    const out = ready();
    expect(out).not.toContain(FAST);
    expect(out).toMatch(FULL);
}, 120_000);
