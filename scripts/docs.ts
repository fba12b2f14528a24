// `npm run docs`: writes the README's configuration table from the one list of keys
// (components/settings/keys.ts). test/unit/readme.test.ts fails when the README is behind.
import * as fs from "fs";
import * as path from "path";
import { settingsTable } from "../components/settings/keys";

export const README = path.resolve(__dirname, "../README.md");
const START = "<!-- settings:start -->";
const END = "<!-- settings:end -->";

/** The README with its table between the markers replaced by the one made from the keys. */
export function withSettingsTable(readme: string): string {
    const a = readme.indexOf(START);
    const b = readme.indexOf(END);
    if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} markers`);
    return readme.slice(0, a) + `${START}\n${settingsTable()}\n${END}` + readme.slice(b + END.length);
}

if (require.main === module) {
    fs.writeFileSync(README, withSettingsTable(fs.readFileSync(README, "utf8")));
    console.log("docs: the configuration table in README.md is up to date");
}
