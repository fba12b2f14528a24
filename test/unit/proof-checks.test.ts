// The checks the security tests judge by, shown to catch what they name: a socket bound
// beyond loopback in the kernel's table, a secret (or a key's specific lines) in a file.
import * as crypto from "crypto";
import { ed25519KeyPair } from "../ssh-keys";
import { describe, expect, it } from "vitest";
import { findLeaks, isLoopback, leakNeedles, parseProcNetTcp } from "../proof-checks";

// Lines as /proc/net/tcp and tcp6 print them (local address in little-endian hex words).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:708C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46195 1 0 100 0 0 10 0
   1: 00000000:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46196 1 0 100 0 0 10 0
   2: 0200007F:3D90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46197 1 0 100 0 0 10 0
   3: 0100007F:708C 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 46198 1 0 100 0 0 10 0`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 00000000000000000000000001000000:1628 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: 00000000000000000000000000000000:3D90 00000000000000000000000000000000:0000 0A 00000000:00000000`;

describe("parseProcNetTcp", () => {
    it("reads the listening sockets with their addresses, and skips connections", () => {
        expect(parseProcNetTcp(TCP)).toEqual([
            { address: "127.0.0.1", port: 28812 },
            { address: "0.0.0.0", port: 5672 },
            { address: "127.0.0.2", port: 15760 },
        ]);
        expect(parseProcNetTcp(TCP6)).toEqual([
            { address: "::1", port: 5672 },
            { address: "::", port: 15760 },
        ]);
    });

    it("counts only 127.0.0.1 and ::1 as loopback: 0.0.0.0, ::, and other 127/8 addresses are beyond it", () => {
        const beyond = [...parseProcNetTcp(TCP), ...parseProcNetTcp(TCP6)].filter((l) => !isLoopback(l.address));
        expect(beyond.map((l) => l.address)).toEqual(["0.0.0.0", "127.0.0.2", "::"]);
    });
});

describe("leak search", () => {
    it("finds a password in a file as written, JSON-escaped or base64-encoded", () => {
        const secret = 'pa"ss\\word-123';
        const secrets = { pw: { value: secret } };
        expect(findLeaks(secrets, { clean: "nothing here" })).toEqual([]);
        expect(findLeaks(secrets, { raw: `x ${secret} y` })).toEqual([{ secret: "pw", place: "raw" }]);
        expect(findLeaks(secrets, { json: JSON.stringify({ p: secret }) })).toEqual([{ secret: "pw", place: "json" }]);
        expect(findLeaks(secrets, { b64: Buffer.from(secret).toString("base64") })).toHaveLength(1);
    });

    it("searches an ed25519 OpenSSH key by the lines no other key shares (not its fixed first line)", () => {
        const key = ed25519KeyPair().private;
        const other = ed25519KeyPair().private;
        const header = key.split("\n")[1];
        expect(other.split("\n")[1]).toBe(header); // why the old check, which searched this line, could not fail
        const needles = leakNeedles(key, other);
        expect(needles).not.toContain(header);
        expect(needles.length).toBeGreaterThanOrEqual(3);
        // A state file holding the key JSON-escaped on one line still shows its specific lines.
        const state = JSON.stringify({ privateKey: key });
        expect(findLeaks({ key: { value: key, sibling: other } }, { state })).toHaveLength(1);
        // Another key's text is not this key.
        expect(findLeaks({ key: { value: key, sibling: other } }, { state: JSON.stringify(other) })).toEqual([]);
    });

    it("searches an RSA private key by its body lines", () => {
        const pem = (k: crypto.KeyObject) => k.export({ type: "pkcs1", format: "pem" }).toString();
        const key = pem(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
        const other = pem(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
        expect(leakNeedles(key, other).length).toBeGreaterThan(10);
        expect(
            findLeaks({ key: { value: key, sibling: other } }, { out: key.split("\n").slice(5, 6).join() }),
        ).toHaveLength(1);
    });
});
