// The formatter (Prettier) and the linter (ESLint with typescript-eslint) over the whole
// project, as part of `npm test`: code that is not formatted, or that the linter flags, fails here.
import { spawnSync } from "child_process";
import * as path from "path";
import { expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const bin = (pkg: string, file: string) => path.join(root, "node_modules", pkg, file);

it("is formatted (prettier --check; `npm run format` fixes it)", () => {
    const r = spawnSync(
        process.execPath,
        [bin("prettier", "bin/prettier.cjs"), "--check", "--log-level", "warn", "."],
        { cwd: root, encoding: "utf8" },
    );
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
}, 120_000);

it("passes the linter (eslint; `npm run lint`)", () => {
    const r = spawnSync(process.execPath, [bin("eslint", "bin/eslint.js"), "--max-warnings", "0", "."], {
        cwd: root,
        encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
}, 180_000);
