// A stack as a user has one, driven as a user drives it: in the project's own backend
// (.pulumi-state) with the project's passphrase file, made with `pulumi stack init` and
// `config set`, and run with the pulumi CLI in scripts/env.sh's environment (the one
// `npm run bench` runs under). Nothing here sets a backend, a passphrase or any other
// variable of its own: what the bench times is what `pulumi up` costs a user.
import * as fs from "fs";
import * as path from "path";
import { forceRemove } from "../test/integration/harness";
import { RunOptions, RunResult, run } from "./proc";

export const ROOT = path.resolve(__dirname, "..");

/** What a `pulumi up` reported changing; empty for an up that changed nothing. */
export function changesIn(upOutput: string): string[] {
    return [...upOutput.matchAll(/^\s+(?:[+~-]|\+-)\s*(\d+) (created|updated|deleted|replaced)\b/gm)].map(
        (m) => `${m[1]} ${m[2]}`,
    );
}

export class UserStack {
    private constructor(
        readonly name: string,
        /** The Pulumi project's directory (the burrow project, or a program that uses burrow as a library). */
        readonly cwd: string,
    ) {}

    /** `pulumi stack init` and one `config set` per key; secrets (and long values) travel on stdin. */
    static async create(
        name: string,
        config: Record<string, unknown>,
        opts: { cwd?: string; secret?: string[]; namespace?: string } = {},
    ): Promise<UserStack> {
        const s = new UserStack(name, opts.cwd ?? ROOT);
        await run("pulumi", ["stack", "init", name, "--no-select", "--non-interactive"], { cwd: s.cwd });
        for (const [key, value] of Object.entries(config))
            await s.setConfig(`${opts.namespace ?? "burrow"}:${key}`, value, opts.secret?.includes(key));
        return s;
    }

    setConfig(key: string, value: unknown, secret = false): Promise<RunResult> {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        return this.pulumi(["config", "set", ...(secret ? ["--secret"] : []), key], { input: text });
    }

    pulumi(args: string[], opts: RunOptions = {}): Promise<RunResult> {
        return run("pulumi", [...args, "--stack", this.name, "--non-interactive"], { cwd: this.cwd, ...opts });
    }

    /** `pulumi up --yes --skip-preview`, as scripts/up runs it (the update lists every change itself). */
    up(opts: RunOptions = {}): Promise<RunResult> {
        return this.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], opts);
    }

    destroy(opts: RunOptions = {}): Promise<RunResult> {
        return this.pulumi(["destroy", "--yes", "--skip-preview", "--suppress-progress"], opts);
    }

    async outputs<T = Record<string, unknown>>(): Promise<T> {
        return JSON.parse((await this.pulumi(["stack", "output", "--json", "--show-secrets"])).stdout) as T;
    }

    /** Destroys and removes the stack (and its Pulumi.<stack>.yaml); never throws. */
    async remove(): Promise<void> {
        await this.destroy().catch(async (e) => {
            console.error(`bench: destroy of ${this.name} failed, removing its Docker objects: ${e.message}`);
            await forceRemove(this.name).catch(() => undefined);
        });
        await this.pulumi(["stack", "rm", "--yes", "--force"]).catch((e) =>
            console.error(`bench: stack rm ${this.name}: ${e.message}`),
        );
        fs.rmSync(path.join(this.cwd, `Pulumi.${this.name}.yaml`), { force: true });
        // `stack rm` keeps the stack's history, backups and last checkpoint in a file backend (tens
        // of MB after a 10,000-queue run): the bench leaves nothing of its own stacks behind.
        const backend = process.env.PULUMI_BACKEND_URL ?? "";
        const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(this.cwd, "Pulumi.yaml"), "utf8"))?.[1];
        if (backend.startsWith("file://") && project) {
            const dir = path.join(backend.slice("file://".length), ".pulumi");
            for (const sub of ["history", "backups"])
                fs.rmSync(path.join(dir, sub, project, this.name), { recursive: true, force: true });
            for (const f of [".json.bak", ".json.bak.attrs"])
                fs.rmSync(path.join(dir, "stacks", project, this.name + f), { force: true });
        }
    }
}
