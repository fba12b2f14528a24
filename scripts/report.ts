// `npm run report`: writes the figures the proof tests measured (the latest value of each,
// from .toolchain/logs/figures.jsonl) into the README between the figures markers.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const FILE = path.join(ROOT, ".toolchain/logs/figures.jsonl");
const README = path.join(ROOT, "README.md");
const START = "<!-- figures:start -->";
const END = "<!-- figures:end -->";

const latest = new Map<string, { at: string; value: number | string }>();
for (const line of fs.existsSync(FILE) ? fs.readFileSync(FILE, "utf8").split("\n") : []) {
    if (!line.trim()) continue;
    const f = JSON.parse(line) as { at: string; name: string; value: number | string };
    latest.set(f.name, { at: f.at, value: f.value });
}
if (latest.size === 0) {
    console.error(`report: no figures in ${FILE}; run npm test first`);
    process.exit(2);
}
const rows = [...latest.entries()].sort(([a], [b]) => a.localeCompare(b));
const table = [
    START,
    `Figures from the tests' own output (latest run, ${rows
        .map(([, v]) => v.at)
        .sort()
        .pop()!
        .slice(0, 10)}; \`npm run report\` rewrites this table):`,
    "",
    "| figure | value |",
    "| --- | ---: |",
    ...rows.map(([name, v]) => `| ${name} | ${v.value} |`),
    END,
].join("\n");
const readme = fs.readFileSync(README, "utf8");
const a = readme.indexOf(START),
    b = readme.indexOf(END);
if (a < 0 || b < 0) {
    console.error(`report: README.md has no ${START} ... ${END} markers`);
    process.exit(2);
}
fs.writeFileSync(README, readme.slice(0, a) + table + readme.slice(b + END.length));
console.log(`report: ${rows.length} figures written to README.md`);
