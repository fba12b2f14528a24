// The bench's rows, and bench/results/latest.{json,md,svg} made from them. A row that has a
// comparator (`vs`: a floor or a peer measured in the same run) gets its ratio, and the
// chart draws it beside that comparator.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** burrow's own figure, the floor (the same job with nothing around it), or a peer tool. */
export type Kind = "burrow" | "floor" | "peer" | "info";

export interface Row {
    id: string;
    name: string;
    kind: Kind;
    /** Seconds, or MiB for memory rows. */
    runs: number[];
    /** CPU seconds (user + system) of the command's process tree, per run: unlike the wall time, not inflated by a busy machine. */
    cpu?: number[];
    unit: "s" | "MiB";
    /** The id of the row this one is compared with (its floor or peer). */
    vs?: string;
    /** How the ratio names that row ("the floor" / "the peer" by default). */
    vsName?: string;
    note?: string;
}

export interface Stats {
    min: number;
    median: number;
    max: number;
}

export function stats(xs: number[]): Stats {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { min: s[0], median: mid, max: s[s.length - 1] };
}

const fmt = (v: number, unit: Row["unit"]) => (unit === "s" ? v.toFixed(2) : v.toFixed(0));

/** The machine's load: the 1-minute load average and the share of time some task waited for a CPU. */
export function machineLoad(): { load1: number; cpuPressure10s: number | undefined } {
    let cpuPressure10s: number | undefined;
    try {
        const m = /^some avg10=([\d.]+)/m.exec(fs.readFileSync("/proc/pressure/cpu", "utf8"));
        cpuPressure10s = m ? Number(m[1]) : undefined;
    } catch {
        cpuPressure10s = undefined; // no PSI on this kernel
    }
    return { load1: os.loadavg()[0], cpuPressure10s };
}

export class Report {
    readonly rows: Row[] = [];
    /** The load at the start and end of each section: a figure from a busy machine is marked as one. */
    readonly loads: Array<{ section: string; at: "start" | "end"; load1: number; cpuPressure10s?: number }> = [];

    noteLoad(section: string, at: "start" | "end") {
        const l = machineLoad();
        this.loads.push({ section, at, ...l });
        const cores = os.cpus().length;
        if (l.load1 > cores)
            console.log(
                `  WARNING: the machine is busy (load average ${l.load1.toFixed(1)} on ${cores} cores${l.cpuPressure10s !== undefined ? `, tasks waited for a CPU ${l.cpuPressure10s.toFixed(0)}% of the last 10 s` : ""}): wall times of this section are inflated; compare CPU seconds, or run again on a quiet machine`,
            );
    }

    /** True when any section started or ended with a load average above the core count. */
    busy(): boolean {
        return this.loads.some((l) => l.load1 > os.cpus().length);
    }

    /** Records a row and prints it at once (a bench that dies late still showed what it measured). */
    add(row: Omit<Row, "unit"> & { unit?: Row["unit"] }): Row {
        const r: Row = { unit: "s", ...row };
        if (this.rows.some((x) => x.id === r.id)) throw new Error(`bench: two rows named ${r.id}`);
        this.rows.push(r);
        const s = stats(r.runs);
        const ratio = this.ratio(r);
        const cpu = r.cpu?.length ? `, CPU ${stats(r.cpu).median.toFixed(2)} s` : "";
        console.log(
            `${r.name.padEnd(64)} median ${fmt(s.median, r.unit)} ${r.unit} (min ${fmt(s.min, r.unit)}, max ${fmt(s.max, r.unit)}, n=${r.runs.length}${cpu})${ratio ? `  ${ratio}` : ""}${r.note ? `  [${r.note}]` : ""}`,
        );
        return r;
    }

    /** "1.31x <comparator>" for a row measured against another, from the medians. */
    ratio(r: Row): string | undefined {
        const against = r.vs ? this.rows.find((x) => x.id === r.vs) : undefined;
        if (!against) return undefined;
        const x = stats(r.runs).median / stats(against.runs).median;
        return `${x.toFixed(2)}x ${r.vsName ?? (against.kind === "peer" ? "the peer" : "the floor")}`;
    }

    write(dir: string, meta: { repeats: number; seconds: number; sections: string[] }) {
        const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
        const load = os.loadavg().map((l) => l.toFixed(1));
        fs.mkdirSync(dir, { recursive: true });
        const at = new Date().toISOString();
        const table = this.rows.map((r) => ({
            ...r,
            ...stats(r.runs),
            cpuMedian: r.cpu?.length ? stats(r.cpu).median : undefined,
            ratio: this.ratio(r),
        }));
        fs.writeFileSync(
            path.join(dir, "latest.json"),
            JSON.stringify({ at, machine, loadAverage: load, loads: this.loads, ...meta, rows: table }, null, 2) + "\n",
        );
        const md = (unit: Row["unit"]) => [
            `| step | min ${unit} | median ${unit} | max ${unit} | n |${unit === "s" ? " CPU s |" : ""} ratio | note |`,
            `| --- | ---: | ---: | ---: | ---: |${unit === "s" ? " ---: |" : ""} --- | --- |`,
            ...table
                .filter((r) => r.unit === unit)
                .map(
                    (r) =>
                        `| ${r.name} | ${fmt(r.min, unit)} | ${fmt(r.median, unit)} | ${fmt(r.max, unit)} | ${r.runs.length} |${unit === "s" ? ` ${r.cpuMedian?.toFixed(2) ?? ""} |` : ""} ${r.ratio ?? ""} | ${r.note ?? ""} |`,
                ),
        ];
        const memory = table.some((r) => r.unit === "MiB") ? ["", "Peak memory:", "", ...md("MiB")] : [];
        fs.writeFileSync(
            path.join(dir, "latest.md"),
            [
                `Measured ${at.slice(0, 16).replace("T", " ")} UTC on ${machine}; load average at the end ${load.join(", ")}; repeats of the short steps: ${meta.repeats}; the whole run took ${Math.round(meta.seconds)} s (sections: ${meta.sections.join(", ")}). CPU s: user + system time of the command's whole process tree (median), which a busy machine does not inflate.`,
                ...(this.busy()
                    ? [
                          "",
                          `**The machine was busy during this run** (load average above ${os.cpus().length} at ${this.loads
                              .filter((l) => l.load1 > os.cpus().length)
                              .map((l) => `the ${l.at} of ${l.section} (${l.load1.toFixed(1)})`)
                              .join(", ")}): its wall times are inflated.`,
                      ]
                    : []),
                "",
                ...md("s"),
                ...memory,
                "",
            ].join("\n"),
        );
        fs.writeFileSync(path.join(dir, "latest.svg"), chart(this, machine));
    }
}

const COLORS: Record<Kind, string> = { burrow: "#e8702a", floor: "#8c8c8c", peer: "#3b6fb6", info: "#b9b9b9" };
const esc = (s: string) => s.replace(/[<>&`]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "`": "" })[c]!);

/**
 * One group per comparator: the floor or peer bar, then every row measured against it, scaled
 * to the group's largest (figures range from 0.1 s to a minute: one shared scale would hide the
 * small ones); rows with no comparator follow, scaled together.
 */
export function chart(report: Report, machine: string): string {
    const rows = report.rows.filter((r) => r.unit === "s");
    const byId = new Map(rows.map((r) => [r.id, r]));
    const groups: Row[][] = [];
    const used = new Set<string>();
    for (const r of rows) {
        const against = r.vs ? byId.get(r.vs) : undefined;
        if (!against || used.has(r.id)) continue;
        const group = [against, ...rows.filter((x) => x.vs === against.id)];
        groups.push(group);
        for (const x of group) used.add(x.id);
    }
    const rest = rows.filter((r) => !used.has(r.id));
    if (rest.length) groups.push(rest);
    const bar = 420,
        h = 18,
        labelW = 470,
        gap = 12;
    const lines: string[] = [];
    let y = 46;
    for (const g of groups) {
        const max = Math.max(...g.map((r) => stats(r.runs).median));
        for (const r of g) {
            const m = stats(r.runs).median;
            const w = Math.max(1, (m / max) * bar);
            const ratio = r.vs && g[0] !== r ? report.ratio(r) : undefined;
            lines.push(
                `<text x="8" y="${y + 13}">${esc(r.name)}</text>`,
                `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${h - 4}" fill="${COLORS[r.kind]}"/>`,
                `<text x="${(labelW + w + 5).toFixed(1)}" y="${y + 13}">${m.toFixed(2)} s${ratio ? ` (${esc(ratio)})` : ""}</text>`,
            );
            y += h;
        }
        y += gap;
    }
    const legend = (["burrow", "floor", "peer"] as Kind[])
        .map(
            (k, i) =>
                `<rect x="${8 + i * 110}" y="24" width="12" height="12" fill="${COLORS[k]}"/><text x="${24 + i * 110}" y="34">${k}</text>`,
        )
        .join("");
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + bar + 260}" height="${y + 8}" font-family="sans-serif" font-size="12">`,
        `<text x="8" y="16" font-weight="bold">burrow bench: median seconds, each beside its floor or peer (bars scaled per group) - ${esc(machine.split(",")[0])}</text>`,
        legend,
        ...(report.busy()
            ? [
                  `<text x="360" y="34" fill="#b00">measured on a busy machine: wall times inflated (see latest.md)</text>`,
              ]
            : []),
        ...lines,
        `</svg>`,
        "",
    ].join("\n");
}
