// TLS-only: AMQPS and HTTPS management with a CA the stack generates, checked by real
// TLS clients that verify the certificate; the plain listeners are closed.
import * as amqp from "amqplib";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { TestStack, createTestStack, freePort, changesOf } from "./harness";

let ts: TestStack;
let amqpsPort: number;
let httpsPort: number;
let ca: string;
let amqpsUrl: string;

beforeAll(async () => {
    amqpsPort = await freePort();
    httpsPort = await freePort();
    ts = await createTestStack("tls", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        adminPassword: "tls-Admin-password-1",
        tls: { only: true, amqpsPort, managementPort: httpsPort },
    });
    const up = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
    expect(up.summary.result).toBe("succeeded");
    ca = up.outputs.caCert.value;
    amqpsUrl = up.outputs.amqpUrl.value;
});
afterAll(async () => ts?.destroy());

describe("TLS only", () => {
    it("serves AMQPS with a certificate that verifies against the stack's CA", async () => {
        const socket = tls.connect({ host: "127.0.0.1", port: amqpsPort, ca, servername: "localhost" });
        await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
        expect(socket.authorized).toBe(true);
        expect(socket.getPeerCertificate().subjectaltname).toContain("IP Address:127.0.0.1");
        socket.end();
        // A client without the CA refuses the broker: the verification is real.
        const untrusted = tls.connect({ host: "127.0.0.1", port: amqpsPort, servername: "localhost" });
        const err = await new Promise<Error>((resolve) =>
            untrusted.once("error", resolve).once("secureConnect", () => resolve(new Error("connected"))),
        );
        expect(err.message).toMatch(/self.signed|unable to (get|verify)/i);
        recordFigure("security.tls-verified-clients", 2);
    });

    it("carries messages over amqps:// with the admin credentials", async () => {
        expect(amqpsUrl.startsWith("amqps://")).toBe(true);
        const conn = await amqp.connect(amqpsUrl, { ca: [Buffer.from(ca)] });
        const ch = await conn.createConfirmChannel();
        const q = await ch.assertQueue("", { exclusive: true });
        ch.sendToQueue(q.queue, Buffer.from("over-tls"));
        await ch.waitForConfirms();
        const m = await ch.get(q.queue, { noAck: true });
        await conn.close();
        expect(m && m.content.toString()).toBe("over-tls");
    });

    it("serves the management API over HTTPS only", async () => {
        const api = { url: `https://127.0.0.1:${httpsPort}`, username: "admin", password: "tls-Admin-password-1", ca };
        expect(await get(api, "/api/whoami")).toMatchObject({ name: "admin" });
        const container = (await ts.stack.outputs()).containerName.value;
        const { stdout } = await docker(["exec", container, "rabbitmq-diagnostics", "-q", "listeners"]);
        expect(stdout).toMatch(/5671.*amqp\/ssl/);
        expect(stdout).toMatch(/15671.*https/);
        expect(stdout).not.toMatch(/port: 5672\b/);
        expect(stdout).not.toMatch(/port: 15672\b/);
        recordFigure(
            "security.plain-listeners-open-when-tls-only",
            (stdout.match(/port: (5672|15672)\b/g) ?? []).length,
        );
    });

    it("serves Prometheus metrics over HTTPS only, verified with the stack's CA", async () => {
        const metricsUrl: string = (await ts.stack.outputs()).metricsUrl.value;
        expect(metricsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
        const body = await new Promise<string>((resolve, reject) =>
            https
                .get(metricsUrl, { ca, servername: "localhost" }, (r) => {
                    let text = "";
                    r.on("data", (d) => (text += d)).on("end", () => resolve(text));
                })
                .on("error", reject),
        );
        expect(body).toMatch(/^rabbitmq_/m);
        // No plain HTTP on the same port.
        const plain = await new Promise<string>((resolve) =>
            http
                .get(metricsUrl.replace("https:", "http:"), (r) => resolve(`HTTP ${r.statusCode}`))
                .on("error", (e) => resolve(e.message)),
        );
        expect(plain).not.toMatch(/^HTTP 200/);
    });

    it("changes nothing on a second up", async () => {
        const again = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(changesOf(again)).toEqual({});
    });
});
