// Integration harness, after Pulumi's own automation-api tests: a unique stack per test
// file on a temporary file:// backend, free ports on 127.0.0.1, and a teardown that
// destroys and removes the stack even when a test failed.
import { LocalWorkspace, Stack, UpResult } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { docker } from "../../lib/exec";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

export interface TestStack {
    stack: Stack;
    name: string;
    backendDir: string;
    /** Everything the CLI printed, for searching secrets in it. */
    output: string[];
    env: Record<string, string>;
    destroy(): Promise<void>;
}

let built = false;
/** Pulumi runs the compiled program (package.json "main"): compile it if its sources changed. */
function buildProgram() {
    if (built) return;
    execFileSync("bash", [path.join(PROJECT_ROOT, "scripts/build-program")], {
        stdio: ["ignore", "ignore", "inherit"],
    });
    built = true;
}

export async function createTestStack(role: string, config: Record<string, unknown>): Promise<TestStack> {
    buildProgram();
    const name = `it-${role}-${Date.now().toString(36)}`;
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), `burrow-${role}-`));
    const env = {
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: `test-passphrase-${name}`,
        PULUMI_CONFIG_PASSPHRASE_FILE: "",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: PROJECT_ROOT },
        { envVars: env },
    );
    const all: Record<string, { value: string; secret?: boolean }> = {};
    for (const [k, v] of Object.entries(config)) {
        all[`burrow:${k}`] = {
            value: typeof v === "string" ? v : JSON.stringify(v),
            secret: k === "adminPassword" || k === "ssh",
        };
    }
    await stack.setAllConfig(all);
    const output: string[] = [];
    return {
        stack,
        name,
        backendDir,
        output,
        env,
        async destroy() {
            try {
                await stack.destroy({ onOutput: (o) => output.push(o) });
            } catch (e) {
                // Do not leak Docker objects into the next test; the failure is still reported.
                await forceRemove(name);
                throw e;
            } finally {
                await stack.workspace.removeStack(name).catch(() => undefined);
                // Pulumi.<stack>.yaml is written into the project by setAllConfig.
                fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`), { force: true });
                fs.rmSync(backendDir, { recursive: true, force: true });
            }
        },
    };
}

/** Docker objects labelled for a stack, and its image tag: what destroy must leave behind (nothing). */
export async function dockerLeftovers(stack: string): Promise<string[]> {
    const left: string[] = [];
    const ps = await docker(["ps", "-a", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Names}}"]);
    const vols = await docker(["volume", "ls", "--filter", `label=burrow.stack=${stack}`, "--format", "{{.Name}}"]);
    const img = await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", `burrow/rabbitmq:${stack}`]);
    for (const s of [ps.stdout, vols.stdout, img.stdout]) left.push(...s.split("\n").filter(Boolean));
    return left;
}

/** Last resort after a failed destroy: remove what is labelled with the stack. */
export async function forceRemove(stack: string): Promise<void> {
    const ps = await docker(["ps", "-aq", "--filter", `label=burrow.stack=${stack}`]);
    for (const id of ps.stdout.split("\n").filter(Boolean)) await docker(["rm", "-f", id]).catch(() => undefined);
    const vols = await docker(["volume", "ls", "-q", "--filter", `label=burrow.stack=${stack}`]);
    for (const v of vols.stdout.split("\n").filter(Boolean))
        await docker(["volume", "rm", "-f", v]).catch(() => undefined);
    await docker(["image", "rm", `burrow/rabbitmq:${stack}`]).catch(() => undefined);
}

/** What an up changed besides "same": empty when the up was a no-op. */
export function changesOf(r: Pick<UpResult, "summary">): Record<string, number> {
    const changes = { ...r.summary.resourceChanges };
    delete changes.same;
    return changes;
}
