// Peak memory of a process tree (the pulumi CLI, its language host, the program and the
// dynamic-provider plugin), sampled from /proc while it runs. Each process's VmHWM is its own
// peak resident set, so a sample taken before it exits already holds its peak up to then.
import * as fs from "fs";

export type Role = "cli" | "language host" | "program" | "plugin" | "other";
export const ROLES: Role[] = ["cli", "language host", "program", "plugin", "other"];

/** What a process of the tree is, from its command line (argv as /proc/<pid>/cmdline has it). */
export function roleOf(argv: string[]): Role {
    const line = argv.join(" ");
    // The plugin starts as a shell script that execs node: both are the plugin.
    if (/pulumi-resource-pulumi-nodejs|@pulumi\/pulumi\/cmd\/dynamic-provider/.test(line)) return "plugin";
    if (/pulumi-language-nodejs/.test(argv[0] ?? "")) return "language host";
    if (/@pulumi\/pulumi\/cmd\/run\b/.test(line)) return "program";
    if (/(^|\/)pulumi$/.test(argv[0] ?? "")) return "cli";
    return "other";
}

/** VmHWM in KiB from the text of /proc/<pid>/status, or undefined (a kernel thread, a zombie). */
export function hwmKiB(status: string): number | undefined {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
}

export interface MemoryPeaks {
    /** The largest VmHWM among the processes of each role, KiB. */
    byRole: Record<Role, number>;
    /** CPU time (user + system) of each role's processes as last seen, ms: where the time went. */
    cpuMsByRole: Record<Role, number>;
    /** CLI + language host + program + plugin: their peaks added (an upper bound of the tree's peak at one moment). */
    totalKiB: number;
    samples: number;
}

function readText(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined; // the process is gone
    }
}

/** utime + stime of a process in ms, from the text of /proc/<pid>/stat. */
export function cpuMsOf(stat: string): number {
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15) in 1/100 s
}

/** The pid and every descendant, through /proc/<pid>/task/<tid>/children (a child may belong to any thread). */
function tree(root: number): number[] {
    const out: number[] = [];
    const todo = [root];
    while (todo.length > 0) {
        const pid = todo.pop()!;
        out.push(pid);
        let tids: string[];
        try {
            tids = fs.readdirSync(`/proc/${pid}/task`);
        } catch {
            continue;
        }
        for (const tid of tids) {
            const kids = readText(`/proc/${pid}/task/${tid}/children`);
            if (kids) todo.push(...kids.trim().split(/\s+/).filter(Boolean).map(Number));
        }
    }
    return out;
}

/** Samples the tree under `root` every `intervalMs` until stop() is called (stop samples once more). */
export function sampleTree(root: number, intervalMs = 100): { stop: () => MemoryPeaks } {
    const peak = new Map<number, { role: Role; kib: number; cpuMs: number }>();
    let samples = 0;
    const sample = () => {
        samples++;
        for (const pid of tree(root)) {
            const status = readText(`/proc/${pid}/status`);
            const cmdline = readText(`/proc/${pid}/cmdline`);
            const stat = readText(`/proc/${pid}/stat`);
            const kib = status && hwmKiB(status);
            if (!kib || !cmdline) continue;
            const role = roleOf(cmdline.split("\0").filter(Boolean));
            const prev = peak.get(pid);
            // A pid that exec'd (the plugin's shell script becoming node) keeps the more specific role.
            peak.set(pid, {
                role: prev && prev.role !== "other" ? prev.role : role,
                kib: Math.max(kib, prev?.kib ?? 0),
                cpuMs: Math.max(stat ? cpuMsOf(stat) : 0, prev?.cpuMs ?? 0),
            });
        }
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return {
        stop() {
            clearInterval(timer);
            sample();
            const byRole = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>;
            const cpuMsByRole = { ...byRole };
            for (const { role, kib, cpuMs } of peak.values()) {
                byRole[role] = Math.max(byRole[role], kib);
                cpuMsByRole[role] += cpuMs;
            }
            const totalKiB = byRole.cli + byRole["language host"] + byRole.program + byRole.plugin;
            return { byRole, cpuMsByRole, totalKiB, samples };
        },
    };
}
