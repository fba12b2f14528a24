// `npm run list-queues [-- --stack NAME] [--json]`: like `rabbitmqctl list_queues`
// (vhost, name, messages, consumers), through the management API of the stack's broker.
import { get } from "../lib/management-client";
import { defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

interface ApiQueue {
    vhost: string;
    name: string;
    type: string;
    messages?: number;
    consumers?: number;
}

async function main() {
    const { flags } = parseArgs(process.argv.slice(2), ["json"], ["stack"]);
    const outs = await stackOutputs((flags.stack as string) ?? defaultStack());
    const api = { url: outs.managementUrl, username: outs.adminUser, password: outs.adminPassword };
    const queues = (await get<ApiQueue[]>(api, "/api/queues?columns=vhost,name,type,messages,consumers")) ?? [];
    if (flags.json) {
        console.log(
            JSON.stringify(
                queues.map((q) => ({
                    vhost: q.vhost,
                    name: q.name,
                    type: q.type,
                    messages: q.messages ?? 0,
                    consumers: q.consumers ?? 0,
                })),
            ),
        );
        return;
    }
    const rows = [
        ["vhost", "name", "type", "messages", "consumers"],
        ...queues.map((q) => [q.vhost, q.name, q.type, String(q.messages ?? 0), String(q.consumers ?? 0)]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
}

main().catch((e) => {
    console.error(`list-queues: ${e.message}`);
    process.exit(2);
});
