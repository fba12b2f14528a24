// Figures the proof tests measure (messages lost, faults survived, ...), appended as JSON
// lines to .toolchain/logs/figures.jsonl; `npm run report` turns the latest into the
// README's table, so no figure there is written by hand.
import * as fs from "fs";
import * as path from "path";
const PROJECT_ROOT = path.resolve(__dirname, "..");

export const FIGURES_FILE = path.join(PROJECT_ROOT, ".toolchain/logs/figures.jsonl");

export function recordFigure(name: string, value: number | string) {
    fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
    fs.appendFileSync(FIGURES_FILE, JSON.stringify({ at: new Date().toISOString(), name, value }) + "\n");
    console.log(`figure: ${name} = ${value}`);
}
