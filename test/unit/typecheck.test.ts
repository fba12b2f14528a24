// Pulumi runs the program compiled without type-checking (scripts/build-program), so the
// type check happens here: `tsc --noEmit` over the whole project must pass.
import { spawnSync } from "child_process";
import * as path from "path";
import { expect, it } from "vitest";

it("type-checks (tsc --noEmit, strict)", () => {
    const root = path.resolve(__dirname, "../..");
    const r = spawnSync(
        process.execPath,
        [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", root],
        { encoding: "utf8" },
    );
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
}, 120_000);
