// `npm run import -- --url http://HOST:15672 --user USER [--stack NAME] [--dry-run]`
// Adopts a broker burrow did not make: reads its definitions through the management API and
// writes the equivalent burrow:* config into the stack (users by their password hashes,
// shovels and federation upstreams with their URIs: those keys as secrets), then says what
// burrow cannot express. The password comes from BURROW_IMPORT_PASSWORD or a prompt, never
// from argv; config values travel to `pulumi config set` on stdin. With --dry-run nothing is
// written: the config is printed with secrets hidden.
// Exit 0: done; 1: the broker could not be read or the config not written; 2: bad usage.
import * as readline from "readline";
import { execFile } from "../lib/exec";
import { get } from "../lib/management-client";
import { SECRET_KEYS, RabbitExport, adopt } from "./adopt";
import { defaultStack, parseArgs } from "./stack-outputs";

/** Reads a password from the terminal without echoing it. */
async function prompt(question: string): Promise<string> {
    if (!process.stdin.isTTY) throw new Error("no password: set BURROW_IMPORT_PASSWORD (never on the command line)");
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stdout.write(question);
    out._writeToOutput = () => undefined;
    const answer = await new Promise<string>((resolve) => rl.question("", resolve));
    rl.close();
    process.stdout.write("\n");
    return answer;
}

async function main(): Promise<number> {
    let flags: Record<string, string | boolean | string[]>;
    try {
        ({ flags } = parseArgs(process.argv.slice(2), ["dry-run"], ["url", "user", "stack"]));
        if (typeof flags.url !== "string" || typeof flags.user !== "string")
            throw new Error("--url http://HOST:15672 and --user USER are required");
    } catch (e) {
        console.error(`import: ${(e as Error).message}`);
        return 2;
    }
    const stack = (flags.stack as string) ?? defaultStack();
    const password = process.env.BURROW_IMPORT_PASSWORD ?? (await prompt(`password of ${flags.user}: `));
    const api = { url: (flags.url as string).replace(/\/$/, ""), username: flags.user as string, password };
    const defs = await get<RabbitExport>(api, "/api/definitions");
    if (!defs) throw new Error(`${api.url} has no /api/definitions (is it RabbitMQ's management API?)`);
    const { config, skipped } = adopt(defs, api.username);

    const count = (v: unknown) =>
        Array.isArray(v) ? `${v.length}` : v && typeof v === "object" ? `${Object.keys(v).length}` : "1";
    console.log(`import: RabbitMQ ${defs.rabbit_version ?? "?"} at ${api.url}:`);
    for (const [key, value] of Object.entries(config)) {
        const secret = SECRET_KEYS.includes(key);
        if (flags["dry-run"]) console.log(`  burrow:${key} = ${secret ? "[secret]" : JSON.stringify(value)}`);
        else {
            // The value on stdin: never in argv, where any process could read it. Text as is
            // (burrow:adminUser admin), lists and objects as JSON, as `config set` takes them.
            const text = typeof value === "string" ? value : JSON.stringify(value);
            await execFile(
                "pulumi",
                ["config", "set", ...(secret ? ["--secret"] : []), `burrow:${key}`, "--stack", stack],
                {
                    input: `${text}\n`,
                    timeoutMs: 60_000,
                },
            );
            console.log(`  burrow:${key}: ${count(value)}${secret ? " (secret)" : ""}`);
        }
    }
    if (skipped.length > 0) {
        console.log(
            `import: burrow cannot express ${skipped.length} object(s); they were left out of the config (and stay on the broker: burrow deletes only what it declared):`,
        );
        for (const s of skipped) console.log(`  - ${s}`);
    } else console.log("import: every object was expressed");
    if (!flags["dry-run"])
        console.log(
            `import: written to stack "${stack}". Against this broker, the next \`up\` records these objects in the state without changing the broker; the one after reports no changes.`,
        );
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`import: ${(e as Error).message}`);
        process.exit(1);
    },
);
