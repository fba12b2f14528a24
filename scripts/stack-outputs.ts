// Reads a stack's outputs (secrets included) with the project's pulumi CLI, for the
// scripts a person or CI runs against a broker that `npm run up` made.
import { execFile } from "../lib/exec";

export interface BrokerOutputs {
    amqpUrl: string;
    managementUrl: string;
    adminUser: string;
    adminPassword: string;
    /** PEM CA of the stack's TLS listeners ("" without burrow:tls). */
    caCert?: string;
    queues: Array<{ vhost: string; name: string; type: string }>;
    smoke?: { queues: string[] };
    /** Docker target: node 1's container. */
    containerName?: string;
    /** A cluster's nodes (empty for one node). */
    clusterNodes?: Array<{ node: string }>;
    metricsUrl?: string;
}

/** The management API of a stack's broker, as its outputs name it. */
export function apiOf(o: BrokerOutputs) {
    return { url: o.managementUrl, username: o.adminUser, password: o.adminPassword, ca: o.caCert || undefined };
}

export async function stackOutputs(stack: string): Promise<BrokerOutputs> {
    try {
        const { stdout } = await execFile("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
            timeoutMs: 60_000,
        });
        const o = JSON.parse(stdout) as Partial<BrokerOutputs>;
        if (!o.amqpUrl || !o.managementUrl)
            throw new Error(`stack "${stack}" has no broker outputs; run \`npm run up\` first`);
        return o as BrokerOutputs;
    } catch (e) {
        throw new Error(`could not read the outputs of stack "${stack}": ${(e as Error).message.split("\n")[0]}`, {
            cause: e,
        });
    }
}

/** Minimal flag parsing shared by the scripts: --flag value, --switch, positional args. */
export function parseArgs(argv: string[], switches: string[], options: string[]) {
    const flags: Record<string, string | boolean | string[]> = {};
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) {
            positional.push(a);
            continue;
        }
        const name = a.slice(2);
        if (switches.includes(name)) flags[name] = true;
        else if (options.includes(name)) {
            const v = argv[++i];
            if (v === undefined) throw new Error(`--${name} needs a value`);
            const prev = flags[name];
            flags[name] = prev === undefined ? v : ([] as string[]).concat(prev as string | string[], v);
        } else
            throw new Error(
                `unknown option --${name} (known: ${[...switches, ...options].map((o) => `--${o}`).join(", ")})`,
            );
    }
    return { flags, positional };
}

export const defaultStack = () => process.env.BURROW_DEFAULT_STACK ?? "dev";
