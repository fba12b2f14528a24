// Host-key pinning against a real sshd that has rsa, ecdsa and ed25519 host keys (what
// Debian's openssh-server generates). For each type in turn: a pin of the host's key of that
// type connects (commands and tunnels), a pin of another key of the same type is refused
// with the message that says what to do, and a pin of a type the host lacks is refused too.
import * as net from "net";
import { utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { SshTarget, sshExec } from "../../lib/ssh";
import { withTunnel } from "../../lib/ssh-tunnel";
import { freePort } from "./harness";
import { startSshHost } from "./ssh-host";
import { ed25519KeyPair } from "../ssh-keys";

let host: Awaited<ReturnType<typeof startSshHost>>;
const hostKeys: Record<string, string> = {};

/** The SSH banner of the host's own sshd, read through a tunnel to its port 22. */
function bannerThrough(t: SshTarget): Promise<string> {
    return withTunnel(
        t,
        22,
        (port) =>
            new Promise<string>((resolve, reject) => {
                const s = net.connect(port, "127.0.0.1");
                s.once("data", (d) => {
                    s.destroy();
                    resolve(d.toString().trim());
                });
                s.once("error", reject);
            }),
    );
}

beforeAll(async () => {
    host = await startSshHost("hostkeys", { amqpPort: await freePort(), managementPort: await freePort() });
    for (const type of ["rsa", "ecdsa", "ed25519"]) {
        const pub = (await docker(["exec", host.container, "cat", `/etc/ssh/ssh_host_${type}_key.pub`])).stdout;
        hostKeys[type] = pub.trim().split(/\s+/).slice(0, 2).join(" "); // drop the comment
    }
});
afterAll(async () => host?.remove());

const cases = [
    { type: "rsa", keyType: "ssh-rsa", other: () => utils.generateKeyPairSync("rsa", { bits: 2048 }).public },
    {
        type: "ecdsa",
        keyType: "ecdsa-sha2-nistp256",
        other: () => utils.generateKeyPairSync("ecdsa", { bits: 256 }).public,
    },
    { type: "ed25519", keyType: "ssh-ed25519", other: () => ed25519KeyPair().public },
];

describe.each(cases)("a pinned $keyType host key", ({ type, keyType, other }) => {
    it("is the type the host has", () => {
        expect(hostKeys[type].split(" ")[0]).toBe(keyType);
    });

    it("connects when it matches: a command and a tunnel", async () => {
        const t = { ...host.target, hostKey: hostKeys[type] };
        const r = await sshExec(t, "echo pinned-ok");
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).toBe("pinned-ok");
        expect(await bannerThrough(t)).toMatch(/^SSH-2\.0-OpenSSH/);
    });

    it("is refused when another key of the same type is pinned, saying what to do", async () => {
        const t = { ...host.target, hostKey: other() };
        const expected = new RegExp(
            `the ${keyType} host key does not match burrow:ssh.hostKey .*ssh-keyscan -t ${keyType} -p ${host.sshPort} 127.0.0.1`,
        );
        await expect(sshExec(t, "true")).rejects.toThrow(expected);
        await expect(bannerThrough(t)).rejects.toThrow(expected);
    });
});

describe("a pinned key of a type the host does not have", () => {
    it("is refused, naming the type and how to find the host's keys", async () => {
        const t = { ...host.target, hostKey: utils.generateKeyPairSync("ecdsa", { bits: 384 }).public };
        await expect(sshExec(t, "true")).rejects.toThrow(
            /the host has no ecdsa-sha2-nistp384 host key, the type pinned in burrow:ssh.hostKey; pin a key it has \(ssh-keyscan/,
        );
    });
});
