// The offline toolchain: the CLI built from Go modules reports the pinned version, the
// project's language host and dynamic-provider plugin run a real program with automatic
// plugin acquisition disabled.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./harness";

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));

describe("offline toolchain", () => {
    it("builds the Pulumi CLI at exactly package.json's @pulumi/pulumi version", () => {
        const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
        expect(version).toBe(`v${pkg.dependencies["@pulumi/pulumi"]}`);
        expect(execFileSync("which", ["pulumi"], { encoding: "utf8" })).toContain(
            path.join(PROJECT_ROOT, ".toolchain/bin"),
        );
    });

    it("runs Node >= 22.12 from the project's toolchain or the machine", () => {
        const [major, minor] = process.versions.node.split(".").map(Number);
        expect(major > 22 || (major === 22 && minor >= 12)).toBe(true);
    });

    it("keeps automatic plugin downloads off", () => {
        expect(process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).toBe("true");
    });

    it("runs a tiny program with a dynamic resource through the language host: up, then destroy", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-tiny-"));
        const marker = path.join(dir, "marker.txt");
        fs.mkdirSync(path.join(dir, ".state"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: tiny\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
        );
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "tiny", main: "index.js" }));
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(
            path.join(dir, "index.js"),
            `
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create(inputs) { require("fs").writeFileSync(inputs.file, "made by pulumi"); return { id: inputs.file, outs: inputs }; },
  async delete(id) { require("fs").rmSync(id, { force: true }); },
};
const r = new pulumi.dynamic.Resource(provider, "marker", { file: ${JSON.stringify(marker)} });
exports.file = r.id;
`,
        );
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "tiny", workDir: dir },
            {
                envVars: {
                    PULUMI_BACKEND_URL: `file://${dir}/.state`,
                    PULUMI_CONFIG_PASSPHRASE: "tiny",
                    PULUMI_CONFIG_PASSPHRASE_FILE: "",
                },
            },
        );
        try {
            const up = await stack.up();
            expect(up.summary.result).toBe("succeeded");
            expect(fs.readFileSync(marker, "utf8")).toBe("made by pulumi");
            const down = await stack.destroy();
            expect(down.summary.result).toBe("succeeded");
            expect(fs.existsSync(marker)).toBe(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
