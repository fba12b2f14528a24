// The README's configuration table is the one list of keys (components/settings/keys.ts):
// a key added without a README row, or a row without a key, fails here.
import * as fs from "fs";
import { expect, it } from "vitest";
import { README, withSettingsTable } from "../../scripts/docs";
import { KNOWN_KEYS } from "../../components/settings";

it("lists exactly the settings burrow knows (`npm run docs` rewrites the table)", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(readme).toBe(withSettingsTable(readme));
    const table = readme.slice(readme.indexOf("<!-- settings:start -->"), readme.indexOf("<!-- settings:end -->"));
    const rows = [...table.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(KNOWN_KEYS);
});
