// TLS-only: AMQPS and HTTPS management with a CA the stack generates, checked by real
// TLS clients: one that trusts the stack's CA verifies the broker; one with no CA and one
// with another CA refuse it. Inside the container, the plain ports accept no connection
// while the TLS ports do. The server key, admin password and cookie are nowhere in plain text
// (the CA's private key is not kept by the stack at all: it signs once and is dropped).
import * as amqp from "amqplib";
import * as http from "http";
import * as https from "https";
import * as forge from "node-forge";
import * as tls from "tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { findLeaks } from "../proof-checks";
import { TestStack, changesOf, cleanUp, createTestStack, freePort } from "./harness";
import { placesToSearch } from "./probes";

const ADMIN_PASSWORD = "tls-Admin-password-1";
let ts: TestStack;
let amqpsPort: number;
let httpsPort: number;
let ca: string;
let amqpsUrl: string;
let container: string;

beforeAll(async () => {
    amqpsPort = await freePort();
    httpsPort = await freePort();
    ts = await createTestStack("tls", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        adminPassword: ADMIN_PASSWORD,
        tls: { only: true, amqpsPort, managementPort: httpsPort },
    });
    const up = await ts.up();
    expect(up.summary.result).toBe("succeeded");
    ca = up.outputs.caCert.value;
    amqpsUrl = up.outputs.amqpUrl.value;
    container = up.outputs.containerName.value;
});
afterAll(() => cleanUp(() => ts?.destroy()));

/** A self-signed CA that has nothing to do with the stack. */
function anotherCa(): string {
    const keys = forge.pki.rsa.generateKeyPair(2048);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = "01";
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    const subject = [{ name: "commonName", value: "burrow stack CA" }]; // the same name, another key
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([{ name: "basicConstraints", cA: true, critical: true }]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
}

/** How a TLS client with these options ends: "verified", or the error it refused the broker with. */
function tlsClient(opts: tls.ConnectionOptions): Promise<string> {
    return new Promise((resolve) => {
        const s = tls.connect({ host: "127.0.0.1", port: amqpsPort, servername: "localhost", ...opts });
        const t = setTimeout(() => (s.destroy(), resolve("timeout")), 15_000);
        s.once("secureConnect", () => {
            clearTimeout(t);
            resolve(s.authorized ? "verified" : `not authorized: ${s.authorizationError}`);
            s.end();
        });
        s.once("error", (e) => (clearTimeout(t), resolve(e.message)));
    });
}

/** Ports accepting TCP inside the container, on its loopback and on its own address (bash's /dev/tcp). */
async function openInside(ports: number[]): Promise<number[]> {
    const script = `for a in 127.0.0.1 $(hostname -i); do for p in ${ports.join(" ")}; do
      (exec 3<>/dev/tcp/$a/$p) 2>/dev/null && echo $p; done; done; true`;
    const { stdout } = await docker(["exec", container, "bash", "-c", script]);
    return [...new Set(stdout.split("\n").filter(Boolean).map(Number))].sort();
}

describe("TLS only", () => {
    it("serves AMQPS with a certificate only the stack's CA verifies", async () => {
        expect(await tlsClient({ ca })).toBe("verified");
        const socket = tls.connect({ host: "127.0.0.1", port: amqpsPort, ca, servername: "localhost" });
        await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
        expect(socket.getPeerCertificate().subjectaltname).toContain("IP Address:127.0.0.1");
        socket.end();
        // Clients that do not trust the stack's CA must refuse the broker: no CA, and another CA of the same name.
        const untrusted = [await tlsClient({}), await tlsClient({ ca: anotherCa() })];
        const refused = untrusted.filter((r) => /self.signed|unable to (get|verify)|signature/i.test(r)).length;
        recordFigure("security.tls.untrusted-clients-refused", refused, untrusted.length);
        expect(untrusted, untrusted.join("; ")).toHaveLength(2);
        expect(refused).toBe(2);
    });

    it("carries messages over amqps:// with the admin credentials", async () => {
        expect(amqpsUrl.startsWith("amqps://")).toBe(true);
        const conn = await amqp.connect(amqpsUrl, { ca: [Buffer.from(ca)] });
        try {
            const ch = await conn.createConfirmChannel();
            const q = await ch.assertQueue("", { exclusive: true });
            ch.sendToQueue(q.queue, Buffer.from("over-tls"));
            await ch.waitForConfirms();
            const m = await ch.get(q.queue, { noAck: true });
            expect(m && m.content.toString()).toBe("over-tls");
        } finally {
            await conn.close();
        }
    });

    it("serves the management API over HTTPS, and no plain listener accepts a connection", async () => {
        const api = { url: `https://127.0.0.1:${httpsPort}`, username: "admin", password: ADMIN_PASSWORD, ca };
        expect(await get(api, "/api/whoami")).toMatchObject({ name: "admin" });
        const open = await openInside([5671, 15671, 5672, 15672]);
        const plain = open.filter((p) => p === 5672 || p === 15672);
        recordFigure("security.tls.plain-listeners-open", plain.length, 2);
        expect(open).toEqual(expect.arrayContaining([5671, 15671])); // the probe sees the listeners that are there
        expect(plain).toEqual([]);
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
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("keeps the server key, the admin password and the Erlang cookie out of the state files and the CLI output", async () => {
        const serverKey = (await docker(["exec", container, "cat", "/etc/rabbitmq/tls/key.pem"])).stdout;
        const cookie = (await docker(["exec", container, "cat", "/var/lib/rabbitmq/.erlang.cookie"])).stdout.trim();
        expect(serverKey).toContain("PRIVATE KEY");
        const sibling = forge.pki.privateKeyToPem(forge.pki.rsa.generateKeyPair(2048).privateKey);
        await ts.preview({ diff: true });
        const secrets = {
            "TLS server key": { value: serverKey, sibling },
            "admin password": { value: ADMIN_PASSWORD },
            "Erlang cookie": { value: cookie },
        };
        const leaks = findLeaks(secrets, placesToSearch(ts));
        recordFigure("security.tls.secrets-leaked", new Set(leaks.map((l) => l.secret)).size, 3);
        expect(leaks).toEqual([]);
    });
});
