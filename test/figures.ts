// Figures the proof tests measure (messages confirmed and lost, attempts refused, seconds to
// recover, ...). A test records each value BEFORE the assertion that judges it, so a failing
// run records the bad number too. Every record carries the run id (scripts/test or
// vitest.config.mts sets BURROW_TEST_RUN) and the test that measured it; scripts/test appends
// one "run" line per run with the commit and each test's result; `npm run report` writes the
// latest complete run into the README, with a figure that was not measured in it shown as
// missing. No figure there is written by hand; every name is declared in figure-catalogue.ts.
import * as fs from "fs";
import * as path from "path";
import { expect } from "vitest";
import { FIGURES, FIGURES_FILE, FigureName, FigureRecord, PROJECT_ROOT } from "./figure-catalogue";

export { FIGURES, FIGURES_FILE };
export type { FigureName };

/** The run id the suite was started with (vitest.config.mts makes one when scripts/test did not). */
export function currentRun(): string {
    return process.env.BURROW_TEST_RUN || "unnamed";
}

/** Appends a measured value; call it before the assertion that judges the value. */
export function recordFigure(name: FigureName, value: number, of?: number): void {
    if (!(name in FIGURES)) throw new Error(`figure ${name} is not declared in test/figure-catalogue.ts`);
    if (!Number.isFinite(value)) throw new Error(`figure ${name}: ${value} is not a number`);
    const state = expect.getState();
    const file = state.testPath ? path.relative(PROJECT_ROOT, state.testPath) : "?";
    const rec: FigureRecord = {
        kind: "figure",
        run: currentRun(),
        at: new Date().toISOString(),
        name,
        value,
        ...(of !== undefined ? { of } : {}),
        test: `${file}::${state.currentTestName ?? ""}`,
    };
    fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
    fs.appendFileSync(FIGURES_FILE, JSON.stringify(rec) + "\n");
    console.log(`figure: ${name} = ${value}${of !== undefined ? ` of ${of}` : ""}`);
}
