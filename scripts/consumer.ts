// `npm run consumer [-- --queue NAME] [--stack NAME]`: the seed's consumer. Declares the
// queue, then prints and acks messages until Ctrl-C. Several consumers share a queue's
// messages (one message each, round robin).
import * as amqp from "amqplib";
import { amqpConnectSpec } from "../lib/urls";
import { defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

async function main() {
    const { flags } = parseArgs(process.argv.slice(2), [], ["queue", "stack"]);
    const queue = (flags.queue as string) ?? "hello";
    const url = process.env.BURROW_AMQP_URL ?? (await stackOutputs((flags.stack as string) ?? defaultStack())).amqpUrl;
    const conn = await amqp.connect(amqpConnectSpec(url));
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true });
    await ch.prefetch(1);
    console.log(` [*] Waiting for messages in "${queue}". To exit press CTRL+C`);
    await ch.consume(queue, (msg) => {
        if (!msg) return;
        console.log(` [x] Received ${JSON.stringify(msg.content.toString())}`);
        ch.ack(msg);
    });
    const stop = async () => {
        await conn.close().catch(() => undefined);
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

main().catch((e) => {
    console.error(`consumer: ${e.message}`);
    process.exit(1);
});
