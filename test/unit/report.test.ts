// `npm run report`: only the latest complete run's figures reach the README, a figure that
// run did not measure shows as missing (not an older value), each with its test's result.
import { describe, expect, it } from "vitest";
import { runCounts, runRecord, renderFigures } from "../../scripts/report";
import { FIGURES } from "../figure-catalogue";

const fig = (run: string, name: string, value: number, test: string, of?: number) =>
    JSON.stringify({ kind: "figure", run, at: "2026-11-29T10:00:00Z", name, value, of, test });
const run = (id: string, complete: boolean, tests: Record<string, string>, at = "2026-11-29T11:00:00Z") =>
    JSON.stringify({ kind: "run", run: id, at, commit: `c-${id}`, complete, passed: 1, failed: 1, tests });

describe("renderFigures", () => {
    const T = "test/integration/cluster.test.ts::a 3-node cluster > loses nothing";
    const lines = [
        fig("r1", "cluster.lost", 0, T),
        fig("r1", "cluster.duplicated", 0, T),
        run("r1", true, { [T]: "passed" }, "2026-11-28T11:00:00Z"),
        fig("r2", "cluster.lost", 7, T),
        run("r2", true, { [T]: "failed" }),
        fig("r3", "cluster.lost", 0, T),
        run("r3", false, { [T]: "passed" }), // a filtered run: not complete
        '{"kind":"figure","run":"r4","name":"cluster.lo', // cut short by a crash
    ].join("\n");

    it("shows the latest complete run only, with its date, commit and the bad number of a failing test", () => {
        const r = renderFigures(lines);
        if ("error" in r) throw new Error(r.error);
        expect(r.table).toContain("`r2`, 2026-11-29, commit c-r2: 1 passed, 1 failed");
        expect(r.table).toMatch(/\| cluster\.lost \| 7 \| failed \|/);
    });

    it("shows a figure the run did not measure as missing, not the older run's value", () => {
        const r = renderFigures(lines);
        if ("error" in r) throw new Error(r.error);
        expect(r.table).toMatch(/\| cluster\.duplicated \| missing \| did not run \|/);
        // Every declared figure has a row.
        for (const name of Object.keys(FIGURES)) expect(r.table).toContain(`| ${name} |`);
    });

    it("prints a count with its denominator, and refuses when no complete run exists", () => {
        const r = renderFigures([fig("a", "security.guest-refused", 1, "f::t", 2), run("a", true, {})].join("\n"));
        if ("error" in r) throw new Error(r.error);
        expect(r.table).toMatch(/\| security\.guest-refused \| 1 of 2 \| unknown \|/);
        expect(renderFigures(run("b", false, {}))).toHaveProperty("error");
    });
});

describe("runRecord", () => {
    it("keys each test as file::describe > test, as the figures name them", () => {
        const rec = runRecord(
            "x",
            {
                numPassedTests: 1,
                numFailedTests: 0,
                testResults: [
                    {
                        name: `${process.cwd()}/test/integration/tls.test.ts`,
                        status: "passed",
                        assertionResults: [{ ancestorTitles: ["TLS only"], title: "serves", status: "passed" }],
                    },
                ],
            },
            true,
            "abc",
            new Date("2026-11-29T00:00:00Z"),
        );
        expect(rec.tests).toEqual({
            "test/integration/tls.test.ts::": "passed",
            "test/integration/tls.test.ts::TLS only > serves": "passed",
        });
    });
});

describe("runCounts", () => {
    it("counts the tests of a file whose beforeAll threw as failed, not skipped (vitest says skipped)", () => {
        // What the fresh-machine check of 2026-11-29 22:27 printed as "581 passed, 0 failed, 4 skipped".
        const c = runCounts({
            numPassedTests: 2,
            numFailedTests: 0,
            numPendingTests: 2,
            testResults: [
                {
                    name: "test/unit/errors.test.ts",
                    status: "failed",
                    assertionResults: [
                        { ancestorTitles: ["ssh"], title: "a", status: "skipped" },
                        { ancestorTitles: ["ssh"], title: "b", status: "skipped" },
                        { ancestorTitles: [], title: "c", status: "passed" },
                    ],
                },
                {
                    name: "ok.test.ts",
                    status: "passed",
                    assertionResults: [{ ancestorTitles: [], title: "d", status: "passed" }],
                },
                { name: "broken.test.ts", status: "failed", assertionResults: [] },
            ],
        });
        expect(c).toEqual({ passed: 2, failed: 3, skipped: 0 });
    });
});
