// Host-key checking: which host-key algorithms burrow lets ssh2 accept for a pinned key,
// and how the one connect config (used by sshExec and the tunnels) verifies the key.
import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { SshTarget, hostKeyAlgorithms, hostKeyMatches, sshConnectConfig } from "../../lib/ssh";
import { ed25519KeyPair } from "../ssh-keys";

const blobOf = (pub: string) => Buffer.from(pub.split(" ")[1], "base64");
const keys = {
    ed25519: ed25519KeyPair().public,
    ecdsa256: utils.generateKeyPairSync("ecdsa", { bits: 256 }).public,
    ecdsa384: utils.generateKeyPairSync("ecdsa", { bits: 384 }).public,
    ecdsa521: utils.generateKeyPairSync("ecdsa", { bits: 521 }).public,
    rsa: utils.generateKeyPairSync("rsa", { bits: 2048 }).public,
};
const target = (over: Partial<SshTarget> = {}): SshTarget => ({
    host: "127.0.0.1",
    port: 2222,
    user: "root",
    privateKey: "k",
    ...over,
});

describe("hostKeyAlgorithms", () => {
    it("accepts only the pinned key's own type", () => {
        expect(hostKeyAlgorithms(keys.ed25519)).toEqual(["ssh-ed25519"]);
        expect(hostKeyAlgorithms(keys.ecdsa256)).toEqual(["ecdsa-sha2-nistp256"]);
        expect(hostKeyAlgorithms(keys.ecdsa384)).toEqual(["ecdsa-sha2-nistp384"]);
        expect(hostKeyAlgorithms(keys.ecdsa521)).toEqual(["ecdsa-sha2-nistp521"]);
    });

    it("lets an ssh-rsa key be signed with SHA-2 first (OpenSSH refuses SHA-1 ssh-rsa signatures)", () => {
        expect(hostKeyAlgorithms(keys.rsa)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    });

    it("tolerates the whitespace of a pasted key", () => {
        expect(hostKeyAlgorithms(`  ${keys.rsa}  \n`)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    });

    it("refuses a key type it cannot pin, naming burrow:ssh.hostKey and what to pin", () => {
        expect(() => hostKeyAlgorithms("ssh-dss AAAAB3NzaC1kc3M=")).toThrow(
            /burrow:ssh.hostKey has key type "ssh-dss"; pin the host's ssh-ed25519, ecdsa-sha2-nistp256\/384\/521 or ssh-rsa key/,
        );
    });
});

describe("sshConnectConfig", () => {
    it("restricts the server's host-key algorithms to the pinned type", () => {
        for (const [pub, algs] of [
            [keys.rsa, ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]],
            [keys.ecdsa256, ["ecdsa-sha2-nistp256"]],
            [keys.ed25519, ["ssh-ed25519"]],
        ] as const)
            expect(sshConnectConfig(target({ hostKey: pub })).algorithms?.serverHostKey).toEqual(algs);
    });

    it("leaves ssh2's defaults with insecureIgnoreHostKey, and accepts any key", () => {
        const c = sshConnectConfig(target({ hostKey: keys.rsa, insecureIgnoreHostKey: true }));
        expect(c.algorithms).toBeUndefined();
        expect((c.hostVerifier as (k: Buffer) => boolean)(blobOf(keys.ed25519))).toBe(true);
    });

    it("accepts the pinned key only, and says which way it went", () => {
        const seen: boolean[] = [];
        const c = sshConnectConfig(target({ hostKey: keys.ecdsa256 }), (ok) => seen.push(ok));
        const verify = c.hostVerifier as (k: Buffer) => boolean;
        expect(verify(blobOf(keys.ecdsa256))).toBe(true);
        expect(verify(blobOf(keys.ecdsa384))).toBe(false);
        expect(seen).toEqual([true, false]);
    });

    it("refuses every key when no key is pinned and checking is on", () => {
        const c = sshConnectConfig(target());
        expect(c.algorithms).toBeUndefined();
        expect((c.hostVerifier as (k: Buffer) => boolean)(blobOf(keys.ed25519))).toBe(false);
    });

    it("carries the credentials and a handshake timeout", () => {
        expect(sshConnectConfig(target({ hostKey: keys.ed25519 }))).toMatchObject({
            host: "127.0.0.1",
            port: 2222,
            username: "root",
            privateKey: "k",
            readyTimeout: 20_000,
        });
    });
});

describe("hostKeyMatches", () => {
    it("compares the whole key blob", () => {
        expect(hostKeyMatches(keys.rsa, blobOf(keys.rsa))).toBe(true);
        expect(hostKeyMatches(keys.rsa, blobOf(keys.ed25519))).toBe(false);
        expect(hostKeyMatches("ssh-rsa", blobOf(keys.rsa))).toBe(false);
    });
});
