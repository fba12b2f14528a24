// `npm run smoke [-- --json] [--stack NAME] [--queue VHOST/NAME]...` (a "/" inside a name is %2F: lib/labels.ts)
// The CI smoke check: publishes a persistent message with confirms and consumes it on the
// smoke queue and every queue marked `smoke` (or the ones given), against the stack's
// outputs or BURROW_AMQP_URL (kept out of argv, it holds the password).
// Exit 0: ok; 1: the broker failed the check; 2: bad usage or no broker to check.
import { parseLabel } from "../lib/labels";
import { NodeFigures, readNodes } from "../lib/node-health";
import { runSmoke, SmokeResult } from "../lib/smoke";
import { defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

async function main(): Promise<number> {
    let json = false;
    let result: SmokeResult;
    // The nodes' checklist figures (open files, disk and memory limits, alarms), with the stack's outputs.
    let nodes:
        | Array<
              Pick<
                  NodeFigures,
                  "name" | "fdLimit" | "fdUsed" | "diskFreeLimit" | "diskFree" | "memLimit" | "memUsed" | "alarms"
              >
          >
        | undefined;
    try {
        const { flags } = parseArgs(process.argv.slice(2), ["json"], ["stack", "queue", "timeout-ms"]);
        json = flags.json === true;
        const stack = (flags.stack as string) ?? defaultStack();
        const given = ([] as string[]).concat((flags.queue as string | string[] | undefined) ?? []);
        // The stack's outputs are read only for what the caller did not give.
        const outs = process.env.BURROW_AMQP_URL && given.length > 0 ? undefined : await stackOutputs(stack);
        const url = process.env.BURROW_AMQP_URL ?? outs!.amqpUrl;
        const queues = (given.length > 0 ? given : (outs?.smoke?.queues ?? ["burrow.smoke"])).map(parseLabel);
        // With the stack's outputs, a failure also names the alarms the management API lists.
        const api = outs && {
            url: outs.managementUrl,
            username: outs.adminUser,
            password: outs.adminPassword,
            ca: outs.caCert || undefined,
        };
        const timeoutMs = flags["timeout-ms"] ? Number(flags["timeout-ms"]) : 10_000;
        if (!(timeoutMs > 0)) throw new Error(`--timeout-ms must be a positive number of milliseconds`);
        result = await runSmoke({ url, queues, timeoutMs, api });
        if (api)
            nodes = await readNodes(api).then(
                (all) =>
                    all.map((x) => ({
                        name: x.name,
                        fdLimit: x.fdLimit,
                        fdUsed: x.fdUsed,
                        diskFreeLimit: x.diskFreeLimit,
                        diskFree: x.diskFree,
                        memLimit: x.memLimit,
                        memUsed: x.memUsed,
                        alarms: x.alarms,
                    })),
                () => undefined,
            );
    } catch (e) {
        const error = (e as Error).message;
        if (json) console.log(JSON.stringify({ ok: false, steps: [], totalMs: 0, error }));
        else console.error(`smoke: ${error}`);
        return 2;
    }
    if (json) console.log(JSON.stringify({ ...result, error: result.error ?? null, ...(nodes ? { nodes } : {}) }));
    else {
        for (const s of result.steps) console.log(`  ${s.step.padEnd(12)} ${(s.queue ?? "").padEnd(24)} ${s.ms} ms`);
        for (const x of nodes ?? [])
            console.log(
                `  node ${x.name}: open files ${x.fdUsed}/${x.fdLimit}, memory ${x.memUsed}/${x.memLimit} B, disk free ${x.diskFree} B (limit ${x.diskFreeLimit} B), alarms: ${x.alarms.join(", ") || "none"}`,
            );
        console.log(result.ok ? `smoke: ok in ${result.totalMs} ms` : `smoke: FAILED: ${result.error}`);
    }
    return result.ok ? 0 : 1;
}

main().then((code) => process.exit(code));
