// `npm run producer -- "message" [--queue NAME] [--stack NAME]`: the seed's producer.
// Declares the queue (either side may start first), sends one persistent message with a
// publisher confirm, and closes its connection.
import * as amqp from "amqplib";
import { amqpConnectSpec } from "../lib/urls";
import { defaultStack, parseArgs, stackOutputs } from "./stack-outputs";

async function main() {
    const { flags, positional } = parseArgs(process.argv.slice(2), [], ["queue", "stack"]);
    const queue = (flags.queue as string) ?? "hello";
    const text = positional.join(" ") || "Hello World!";
    const url = process.env.BURROW_AMQP_URL ?? (await stackOutputs((flags.stack as string) ?? defaultStack())).amqpUrl;
    const conn = await amqp.connect(amqpConnectSpec(url));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    ch.sendToQueue(queue, Buffer.from(text), { persistent: true });
    await ch.waitForConfirms();
    console.log(` [x] Sent ${JSON.stringify(text)} to queue "${queue}"`);
    await conn.close();
}

main().catch((e) => {
    console.error(`producer: ${e.message}`);
    process.exit(1);
});
