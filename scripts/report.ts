// `npm run report`: writes into the README (between the figures markers) the figures of the
// latest COMPLETE test run (`npm test` with no filter), with its date, commit and each
// figure's test result. Only that run's records count: a figure it did not measure shows as
// missing, never as an older run's value.
//   scripts/report.ts                                 rewrite the README's table
//   scripts/report.ts --record-run REPORT.json FULL   (scripts/test) append the run line
//   scripts/report.ts --summary REPORT.json RC        (scripts/test) its last line, "N passed, N failed"
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { FIGURES, FIGURES_FILE, FigureName, FigureRecord } from "../test/figure-catalogue";

const ROOT = path.resolve(__dirname, "..");
const README = path.join(ROOT, "README.md");
export const START = "<!-- figures:start -->";
export const END = "<!-- figures:end -->";

export interface RunRecord {
    kind: "run";
    run: string;
    at: string;
    commit: string;
    /** The whole suite ran (no filter arguments). */
    complete: boolean;
    passed: number;
    failed: number;
    /** `file::describe > test` (and `file::` for the file itself) -> passed / failed / skipped. */
    tests: Record<string, string>;
}

interface VitestJson {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests?: number;
    numTodoTests?: number;
    numRuntimeErrorTestSuites?: number;
    testResults: Array<{
        name: string;
        status: string;
        assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }>;
    }>;
}

/**
 * The run's counts, as the last line of `npm test` says them. A file that failed without a
 * failed test (a `beforeAll` that threw, a file that did not load) counts each of its tests
 * that did not pass as failed (at least 1), not as skipped: vitest reports those as skipped.
 */
export function runCounts(report: VitestJson): { passed: number; failed: number; skipped: number } {
    let failed = report.numFailedTests;
    let skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const file of report.testResults) {
        if (file.status !== "failed" || file.assertionResults.some((a) => a.status === "failed")) continue;
        const notRun = file.assertionResults.filter((a) => a.status !== "passed").length;
        failed += Math.max(1, notRun);
        skipped -= notRun;
    }
    return { passed: report.numPassedTests, failed, skipped };
}

/** The run line scripts/test appends after vitest: the commit and every test's result. */
export function runRecord(run: string, report: VitestJson, complete: boolean, commit: string, at: Date): RunRecord {
    const tests: Record<string, string> = {};
    for (const file of report.testResults) {
        const rel = path.relative(ROOT, file.name);
        tests[`${rel}::`] = file.status;
        for (const a of file.assertionResults)
            tests[`${rel}::${[...a.ancestorTitles, a.title].join(" > ")}`] = a.status;
    }
    return {
        kind: "run",
        run,
        at: at.toISOString(),
        commit,
        complete,
        passed: report.numPassedTests,
        failed: runCounts(report).failed,
        tests,
    };
}

function parseLines(text: string): Array<FigureRecord | RunRecord> {
    const out: Array<FigureRecord | RunRecord> = [];
    for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
            const r = JSON.parse(line);
            if (r.kind === "figure" || r.kind === "run") out.push(r);
        } catch {
            // a line cut short by a crash: not part of any complete run
        }
    }
    return out;
}

/** The table for the latest complete run, or an error message when there is none. */
export function renderFigures(text: string): { table: string } | { error: string } {
    const lines = parseLines(text);
    const runs = lines.filter((l): l is RunRecord => l.kind === "run" && l.complete);
    const run = runs[runs.length - 1];
    if (!run) return { error: "no complete test run recorded yet; run `npm test` (with no filter) first" };
    const measured = new Map<string, FigureRecord>();
    for (const l of lines) if (l.kind === "figure" && l.run === run.run) measured.set(l.name, l);
    const resultOf = (f: FigureRecord) => run.tests[f.test] ?? run.tests[`${f.test.split("::")[0]}::`] ?? "unknown";
    const names = (Object.keys(FIGURES) as FigureName[]).sort();
    const rows = names.map((name) => {
        const f = measured.get(name);
        const value = f ? (f.of !== undefined ? `${f.value} of ${f.of}` : String(f.value)) : "missing";
        return `| ${name} | ${value} | ${f ? resultOf(f) : "did not run"} | ${FIGURES[name]} |`;
    });
    const table = [
        START,
        `Figures measured by the tests in the latest complete run (\`${run.run}\`, ${run.at.slice(0, 10)}, commit ` +
            `${run.commit}: ${run.passed} passed, ${run.failed} failed). Each is recorded before the assertion ` +
            `that judges it; "missing" means that run did not measure it. \`npm run report\` rewrites this table.`,
        "",
        "| figure | value | its test | what it counts |",
        "| --- | ---: | --- | --- |",
        ...rows,
        END,
    ].join("\n");
    return { table };
}

function gitCommit(): string {
    try {
        const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
        const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
            cwd: ROOT,
            encoding: "utf8",
        }).trim();
        return dirty ? `${sha}+changes` : sha;
    } catch {
        return "unknown";
    }
}

function main(argv: string[]) {
    if (argv[0] === "--summary") {
        // scripts/test's last line; vitest's exit code too, so a failed run never reads "0 failed".
        const [, reportFile, rc] = argv;
        const c = runCounts(JSON.parse(fs.readFileSync(reportFile, "utf8")) as VitestJson);
        const failed = rc !== "0" && c.failed === 0 ? 1 : c.failed;
        console.log(`${c.passed} passed, ${failed} failed` + (c.skipped > 0 ? `, ${c.skipped} skipped` : ""));
        return;
    }
    if (argv[0] === "--record-run") {
        const [, reportFile, full] = argv;
        const run = process.env.BURROW_TEST_RUN;
        if (!run || !reportFile || !fs.existsSync(reportFile)) {
            console.error("report: --record-run needs BURROW_TEST_RUN and the vitest JSON report");
            process.exit(2);
        }
        const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as VitestJson;
        const rec = runRecord(run, report, full === "1", gitCommit(), new Date());
        fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
        fs.appendFileSync(FIGURES_FILE, JSON.stringify(rec) + "\n");
        return;
    }
    const r = renderFigures(fs.existsSync(FIGURES_FILE) ? fs.readFileSync(FIGURES_FILE, "utf8") : "");
    if ("error" in r) {
        console.error(`report: ${r.error} (${FIGURES_FILE})`);
        process.exit(2);
    }
    const readme = fs.readFileSync(README, "utf8");
    const a = readme.indexOf(START),
        b = readme.indexOf(END);
    if (a < 0 || b < 0) {
        console.error(`report: README.md has no ${START} ... ${END} markers`);
        process.exit(2);
    }
    fs.writeFileSync(README, readme.slice(0, a) + r.table + readme.slice(b + END.length));
    console.log(`report: the figures of the latest complete run written to README.md`);
}

if (require.main === module) main(process.argv.slice(2));
