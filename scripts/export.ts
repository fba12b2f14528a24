// `npm run export -- FILE [--stack NAME]`
// Writes the stack's broker definitions to FILE in RabbitMQ's own format (GET
// /api/definitions): a backup any RabbitMQ loads (`rabbitmqctl import_definitions FILE`, the
// management UI, or `load_definitions`). It holds password hashes and shovel/federation URIs
// with their passwords: the file is made readable by its owner only.
// Exit 0: written; 1: the broker could not be read or the file not written; 2: bad usage.
import * as fs from "fs";
import { get } from "../lib/management-client";
import { defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

async function main(): Promise<number> {
    let file: string;
    let stack: string;
    try {
        const { flags, positional } = parseArgs(process.argv.slice(2), [], ["stack"]);
        if (positional.length !== 1) throw new Error("give one FILE to write");
        file = positional[0];
        stack = (flags.stack as string) ?? defaultStack();
    } catch (e) {
        console.error(`export: ${(e as Error).message}`);
        return 2;
    }
    const outs = await stackOutputs(stack);
    const api = {
        url: outs.managementUrl,
        username: outs.adminUser,
        password: outs.adminPassword,
        ca: outs.caCert || undefined,
    };
    const defs = await get<Record<string, unknown>>(api, "/api/definitions");
    if (!defs) throw new Error(`${api.url} answered no definitions`);
    // Owner-only from the first byte: the file holds secrets.
    fs.writeFileSync(file, JSON.stringify(defs, null, 2) + "\n", { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const counts = ["vhosts", "users", "permissions", "queues", "exchanges", "bindings", "policies", "parameters"]
        .map((k) => `${(defs[k] as unknown[] | undefined)?.length ?? 0} ${k}`)
        .join(", ");
    console.log(
        `export: wrote the definitions of stack "${stack}" (RabbitMQ ${defs.rabbit_version}) to ${file}: ${counts}`,
    );
    console.log("export: it holds password hashes and URIs with passwords; it is readable by you only (mode 600)");
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`export: ${(e as Error).message}`);
        process.exit(1);
    },
);
