// scripts/bootstrap on a machine that lacks things, and a step that fails, is interrupted,
// then is redone: the real script, the real debootstrap against Debian's mirror, the real
// Docker engine. What may never happen: a step stamped after a failure, a tagged image or a
// rootfs left behind by a failed or interrupted step, a missing prerequisite found only
// after minutes of work. Base images go to this file's own repository
// (BURROW_BASE_IMAGE_REPO), never burrow/debian, and are removed after.
import { execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./harness";

const BOOTSTRAP = path.join(PROJECT_ROOT, "scripts/bootstrap");
const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
const PULUMI_VERSION: string = pkg.dependencies["@pulumi/pulumi"];
const TOOLCHAIN = process.env.BURROW_TOOLCHAIN ?? path.join(PROJECT_ROOT, ".toolchain");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-bootstrap-test-"));

interface Run {
    status: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

function run(args: string[], env: Record<string, string | undefined>): Run {
    const r = spawnSync("bash", [BOOTSTRAP, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A bin directory with only the named commands of this machine: a machine that lacks the rest. */
function binWith(name: string, commands: string[]): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    for (const c of commands) {
        const real =
            c === "node"
                ? process.execPath
                : c === "python3"
                  ? execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim()
                  : execFileSync("bash", ["-c", `command -v ${c}`], { encoding: "utf8" }).trim();
        fs.symlinkSync(real, path.join(dir, c));
    }
    return dir;
}
// What bootstrap itself runs (coreutils, util-linux, tar, awk): a Debian system always has these.
const BASE_TOOLS = [
    "bash", "dirname", "tar", "sha256sum", "awk", "flock", "setsid", "mkdir", "date", "id", "grep",
    "cat", "sed", "sort", "head", "tail", "cut", "rm", "mv", "cp", "ln", "ls", "readlink", "mktemp",
]; // prettier-ignore

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" });
}

afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
});

describe("bootstrap on a machine that lacks its prerequisites", () => {
    const isRoot = process.getuid?.() === 0;

    it("names every missing prerequisite and what to do, before changing anything", () => {
        // No node, npm, go, docker, dockerd, apt-get or debootstrap; an empty cache and toolchain.
        const bin = binWith("bin-python-only", [...BASE_TOOLS, "python3"]);
        const toolchain = path.join(work, "toolchain-a");
        const cache = path.join(work, "cache-a");
        const r = run([], { PATH: bin, BURROW_TOOLCHAIN: toolchain, BURROW_CACHE: cache });
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("this machine lacks what bootstrap needs; nothing was changed");
        expect(r.stderr).toMatch(
            /- npm: Node \S+ is installed from the npm registry with npm\. Install Node\.js >= 18/,
        );
        expect(r.stderr.match(/- npm:/g)).toHaveLength(1);
        expect(r.stderr).toContain(`- Go >= `);
        expect(r.stderr).toContain(
            `the Pulumi CLI ${PULUMI_VERSION} is built from Go modules (not cached in ${cache}/bin)`,
        );
        if (isRoot) {
            expect(r.stderr).toContain("- dockerd: no Docker engine is installed and apt-get is not there");
            expect(r.stderr).toContain("- debootstrap: needed to make burrow/debian:");
        } else {
            expect(r.stderr).toContain("- a running Docker engine: none answers and starting one needs root");
        }
        expect(r.stdout).not.toContain("working...");
        // Nothing done: no step ran, no stamp, no node, nothing cached.
        expect(filesUnder(path.join(toolchain, "stamps"))).toEqual([]);
        expect(filesUnder(path.join(toolchain, "logs"))).toEqual([]);
        expect(fs.existsSync(path.join(toolchain, "node"))).toBe(false);
        expect(filesUnder(cache)).toEqual([]);
    });

    it("reads package.json with node when python3 is missing", () => {
        const bin = binWith("bin-node-no-python", [...BASE_TOOLS, "node"]);
        const cache = path.join(work, "cache-b");
        const r = run([], { PATH: bin, BURROW_TOOLCHAIN: path.join(work, "toolchain-b"), BURROW_CACHE: cache });
        expect(r.status).toBe(2);
        // The pinned version in the message was read from package.json by node.
        expect(r.stderr).toContain(`the Pulumi CLI ${PULUMI_VERSION} is built from Go modules`);
        // This node (the toolchain's, >= 22.12) is used as it is; npm is still needed, for npm ci.
        expect(r.stderr).not.toContain("Node.js >= 18 with npm");
        expect(r.stderr).toContain("- npm: the project's packages are installed with npm ci. Install npm");
    });

    it("says what to install when there is neither node nor python3", () => {
        const bin = binWith("bin-bare", BASE_TOOLS);
        const r = run([], { PATH: bin, BURROW_TOOLCHAIN: path.join(work, "toolchain-c") });
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("neither node nor python3 is installed: install Node.js >= 18 with npm");
        expect(fs.existsSync(path.join(work, "toolchain-c"))).toBe(false);
    });

    it("refuses an unknown --release at once, naming the ones it knows", () => {
        const r = run(["--release", "buster"], {});
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("--release buster: use trixie (Debian 13, RabbitMQ 4.0), bookworm");
        expect(r.stderr).toContain("forky (14/testing, RabbitMQ 4.3)");
        expect(r.stdout).toBe("");
    });
});

describe("a base-image step that fails, is interrupted, then is redone", () => {
    const repo = `burrow-bootstrap-check/debian-${crypto.randomBytes(4).toString("hex")}`;
    const release = "bookworm";
    const image = `${repo}:${release}`;
    const stepName = `base-image-${release}-${repo.replace(/\//g, "-")}`;
    const stamp = path.join(TOOLCHAIN, "stamps", stepName);
    const log = path.join(TOOLCHAIN, "logs", stepName + ".log");
    const tmp = path.join(work, "tmp");
    fs.mkdirSync(tmp);
    // The rootfs goes to TMPDIR: after every run, failed or not, nothing may be left there.
    const env = { BURROW_BASE_IMAGE_REPO: repo, TMPDIR: tmp };
    const imageExists = () => spawnSync("docker", ["image", "inspect", image], { stdio: "ignore" }).status === 0;
    const mountsUnder = (dir: string) =>
        fs
            .readFileSync("/proc/mounts", "utf8")
            .split("\n")
            .filter((l) => l.split(" ")[1]?.startsWith(dir));

    afterAll(() => {
        spawnSync("docker", ["image", "rm", image], { stdio: "ignore" });
        fs.rmSync(stamp, { force: true });
        fs.rmSync(log, { force: true });
    });

    it("fails against an unreachable mirror: names the step, its log and what to do; no stamp, no image", () => {
        const mirror = "http://127.0.0.1:9/debian";
        const r = run(["--release", release], { ...env, BURROW_DEBIAN_MIRROR: mirror });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`\\[bootstrap\\] ${stepName}: FAILED \\(exit 1\\) after`));
        expect(r.stderr).toContain(`last lines of ${log}:`);
        expect(r.stderr).toContain(`| E: Failed getting release file ${mirror}/dists/${release}/Release`);
        expect(r.stderr).toContain(
            `what to do: as root, with Debian's mirror ${mirror} reachable (set BURROW_DEBIAN_MIRROR`,
        );
        expect(r.stderr).toContain("then run the same command again: finished steps are kept, this one is redone.");
        expect(fs.readFileSync(log, "utf8")).toContain("Failed getting release file");
        expect(fs.existsSync(stamp)).toBe(false);
        expect(imageExists()).toBe(false);
        expect(fs.readdirSync(tmp)).toEqual([]);
    });

    it("interrupted (Ctrl-C) in the middle of debootstrap: no stamp, no image, no rootfs, nothing mounted", async () => {
        const child = spawn("bash", [BOOTSTRAP, "--release", release], {
            env: { ...process.env, ...env },
            detached: true, // its own process group, as a terminal's foreground job
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
            child.on("close", (code, signal) => resolve(signal ?? code)),
        );
        // Wait until debootstrap configures the unpacked packages (the rootfs has a shell and apt
        // by then), then Ctrl-C the whole group.
        const deadline = Date.now() + 5 * 60_000;
        while (!(fs.existsSync(log) && /I: Configuring /.test(fs.readFileSync(log, "utf8")))) {
            if (Date.now() > deadline) throw new Error(`debootstrap never got to configuring; see ${log}`);
            await new Promise((r) => setTimeout(r, 200));
        }
        process.kill(-child.pid!, "SIGINT");
        // debootstrap exits 1 on SIGINT (its own trap), so bootstrap reports the step failed;
        // had it died of the signal itself, bash would have died of it too.
        const end = await exited;
        if (end === 1) expect(stderr).toMatch(new RegExp(`\\[bootstrap\\] ${stepName}: FAILED`));
        else expect(end).toBe("SIGINT");
        expect(fs.existsSync(stamp)).toBe(false);
        expect(imageExists()).toBe(false);
        expect(fs.readdirSync(tmp)).toEqual([]);
        expect(mountsUnder(tmp)).toEqual([]);
    });

    it("the next run redoes only that step: the image is made, runs, and the step is stamped", () => {
        const r = run(["--release", release], env);
        expect(r.stderr).not.toMatch(/FAILED|unexpected|lacks/);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(`[bootstrap] ${stepName}: working...`);
        expect(r.stdout).toMatch(new RegExp(`\\[bootstrap\\] ${stepName}: ok in`));
        // Every step that had finished before is kept, not redone.
        expect(r.stdout).toMatch(/\[bootstrap\] npm-ci: done already/);
        expect(r.stdout.match(/working\.\.\./g)).toHaveLength(1);
        expect(fs.readFileSync(stamp, "utf8").trim()).toBe(release);
        expect(imageExists()).toBe(true);
        const version = execFileSync(
            "docker",
            ["run", "--rm", "--network", "none", image, "cat", "/etc/debian_version"],
            {
                encoding: "utf8",
            },
        );
        expect(version).toMatch(/^12\.\d+/);
        expect(fs.readdirSync(tmp)).toEqual([]);
    });

    it("a run after that finds the image and does nothing", () => {
        const r = run(["--release", release], env);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(`base image: ${image} present`);
        expect(r.stdout).not.toContain("working...");
    });
});
