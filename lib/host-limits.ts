// The open-file ceiling of the Docker engine's containers: `docker run --ulimit nofile=N`
// above the hard limit the engine's processes have is refused at start ("error setting
// rlimit type 7: operation not permitted"), so burrow asks for no more than that and says so.
import { execFileSync } from "child_process";
import * as fs from "fs";

/** The hard "Max open files" in a /proc/<pid>/limits text; Infinity for "unlimited". */
export function hardOpenFiles(limits: string): number | undefined {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    if (!m) return undefined;
    return m[2] === "unlimited" ? Infinity : Number(m[2]);
}

/** Processes whose limits a container inherits: dockerd (its pid file) and containerd, which starts the shims. */
function engineProcesses(): number[] {
    const pids: number[] = [];
    try {
        pids.push(Number(fs.readFileSync("/var/run/docker.pid", "utf8").trim()));
    } catch {
        return []; // not a local engine, or not ours to read
    }
    for (const d of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        try {
            if (fs.readFileSync(`/proc/${d}/comm`, "utf8").trim() === "containerd") pids.push(Number(d));
        } catch {
            // gone meanwhile
        }
    }
    return pids;
}

/**
 * The most open files a container of the engine may have: read from the local engine's
 * processes when they are readable (no cost), else measured by a throwaway container of
 * `image` (`ulimit -Hn`, about a second). Undefined when neither works.
 */
export function dockerOpenFileCap(image: string): number | undefined {
    const local = !process.env.DOCKER_HOST || process.env.DOCKER_HOST === "unix:///var/run/docker.sock";
    if (local) {
        const caps = engineProcesses().flatMap((pid) => {
            try {
                const n = hardOpenFiles(fs.readFileSync(`/proc/${pid}/limits`, "utf8"));
                return n === undefined ? [] : [n];
            } catch {
                return [];
            }
        });
        if (caps.length > 0) return Math.min(...caps);
    }
    try {
        const out = execFileSync(
            "docker",
            ["run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "ulimit -Hn"],
            { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000 },
        ).trim();
        return out === "unlimited" ? Infinity : Number(out) || undefined;
    } catch {
        return undefined;
    }
}
