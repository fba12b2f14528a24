// A Docker engine owned by one test, so a test can restart "dockerd" without touching the
// machine's shared engine (and everyone's containers on it). Its own data root, exec root,
// pid file, socket and containerd (started by it, in its own namespace), its own cgroup
// parent, and its own bridge interface made here; it adds no iptables rules and changes no
// sysctl (published ports go through docker-proxy). Images come from the shared engine
// with `docker save | docker load`: it has no route out, so it builds nothing itself.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { docker } from "../../lib/exec";

export interface PrivateEngine {
    /** `{ DOCKER_HOST }` for docker calls and for the pulumi commands of a stack on this engine. */
    env: Record<string, string>;
    dir: string;
    /** Copies images from the shared engine. */
    load(images: string[]): Promise<void>;
    /** Stops the engine (SIGTERM, as a service manager does) and starts it again; returns when it answers. */
    restart(): Promise<void>;
    /** Removes everything: its containers, the engine, its files, the bridge and cgroups. */
    stop(): Promise<void>;
}

function sh(cmd: string, args: string[]) {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout || "").trim()}`);
    return r.stdout;
}

/** A /24 in 10.213.0.0/16 that no route of this machine uses yet. */
function freeSubnet(): string {
    const routes = sh("ip", ["-4", "route"]);
    for (let i = 0; i < 256; i++) {
        const n = (crypto.randomInt(0, 256) + i) % 256;
        if (!routes.includes(`10.213.${n}.`)) return `10.213.${n}`;
    }
    throw new Error("no free /24 in 10.213.0.0/16 for the private engine's bridge");
}

export async function startPrivateEngine(): Promise<PrivateEngine> {
    if (process.getuid?.() !== 0) throw new Error("a private dockerd needs root (it makes a bridge and mounts)");
    if (spawnSync("dockerd", ["--version"]).status !== 0) throw new Error("dockerd is not on PATH");
    const id = crypto.randomBytes(3).toString("hex");
    // Short: containerd's sockets live under the exec root and a socket path has 108 bytes at most.
    const dir = fs.mkdtempSync(`/tmp/bpd-${id}-`);
    const bridge = `bpd${id}`;
    const cgroupParent = `/burrow-pd-${id}`;
    const sock = path.join(dir, "docker.sock");
    const pidfile = path.join(dir, "docker.pid");
    const env = { DOCKER_HOST: `unix://${sock}` };
    const subnet = freeSubnet();
    sh("ip", ["link", "add", "name", bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${subnet}.1/24`, "dev", bridge]);
    sh("ip", ["link", "set", bridge, "up"]);
    const args = [
        "--data-root", path.join(dir, "root"),
        "--exec-root", path.join(dir, "exec"),
        "--pidfile", pidfile,
        "-H", `unix://${sock}`,
        "--bridge", bridge,
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--cgroup-parent", cgroupParent,
        "--containerd-namespace", `burrow-pd-${id}`,
        "--containerd-plugins-namespace", `burrow-pd-${id}-plugins`,
    ]; // prettier-ignore
    let proc: ChildProcess | undefined;

    const answering = async (ms: number) => {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
            if (await docker(["info"], { env, timeoutMs: 10_000 }).then(() => true, () => false)) return; // prettier-ignore
            if (proc?.exitCode !== null && proc?.exitCode !== undefined)
                throw new Error(`the private dockerd exited (${proc.exitCode}); see ${dir}/dockerd.log`);
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`the private dockerd did not answer within ${ms / 1000} s; see ${dir}/dockerd.log`);
    };
    const start = async () => {
        const log = fs.openSync(path.join(dir, "dockerd.log"), "a");
        proc = spawn("dockerd", args, { detached: true, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        proc.unref();
        await answering(60_000);
    };
    const terminate = async () => {
        const p = proc;
        if (!p || p.exitCode !== null) return;
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        p.kill("SIGTERM"); // only the dockerd this helper started, by its own handle
        const late = setTimeout(() => p.kill("SIGKILL"), 60_000);
        await exited;
        clearTimeout(late);
    };

    try {
        await start();
    } catch (e) {
        await terminate();
        spawnSync("ip", ["link", "del", bridge]);
        throw e;
    }
    return {
        env,
        dir,
        async load(images) {
            await new Promise<void>((resolve, reject) => {
                const save = spawn("docker", ["save", ...images], { stdio: ["ignore", "pipe", "pipe"] });
                const load = spawn("docker", ["load", "--quiet"], {
                    env: { ...process.env, ...env },
                    stdio: ["pipe", "ignore", "pipe"],
                });
                let err = "";
                save.stderr.on("data", (d) => (err += d));
                load.stderr.on("data", (d) => (err += d));
                save.stdout.pipe(load.stdin);
                let left = 2;
                const exit = (code: number | null) => {
                    if (code !== 0)
                        reject(new Error(`docker save | docker load of ${images.join(" ")}: ${err.trim()}`));
                    else if (--left === 0) resolve();
                };
                save.once("exit", exit);
                load.once("exit", exit);
            });
        },
        async restart() {
            await terminate();
            await start();
        },
        async stop() {
            const problems: string[] = [];
            if (proc && proc.exitCode === null) {
                const ids = (await docker(["ps", "-aq"], { env })).stdout.split("\n").filter(Boolean);
                if (ids.length) await docker(["rm", "--force", "--volumes", ...ids], { env }).catch(() => undefined);
            }
            await terminate();
            // Whatever the engine left mounted under its directory (it unmounts its own on a clean stop).
            const mounts = fs
                .readFileSync("/proc/mounts", "utf8")
                .split("\n")
                .map((l) => l.split(" ")[1])
                .filter((m) => m?.startsWith(dir))
                .sort((a, b) => b.length - a.length);
            for (const m of mounts) spawnSync("umount", ["-l", m]);
            fs.rmSync(dir, { recursive: true, force: true });
            const del = spawnSync("ip", ["link", "del", bridge], { encoding: "utf8" });
            if (del.status !== 0) problems.push(`ip link del ${bridge}: ${del.stderr.trim()}`);
            for (const ctl of fs.existsSync("/sys/fs/cgroup") ? fs.readdirSync("/sys/fs/cgroup") : []) {
                const d = path.join("/sys/fs/cgroup", ctl, cgroupParent);
                if (fs.existsSync(d)) spawnSync("rmdir", [d]);
            }
            if (problems.length) throw new Error(problems.join("\n"));
        },
    };
}
