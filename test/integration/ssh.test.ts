// The SSH target against a real SSH host that the test makes itself: a container from
// the Debian base image running sshd, reached on 127.0.0.1. Real `pulumi up` installs
// Erlang and RabbitMQ over SSH (with an extra apt repository and its signing key),
// amqplib proves it, a re-run changes nothing, a changed setting re-applies without
// reinstalling, destroy purges the packages and the repository entries.
import * as amqp from "amqplib";
import { execFileSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { SshTarget, sshExec } from "../../lib/ssh";
import { recordFigure } from "../figures";
import { isLoopback, leakNeedles, parseProcNetTcp } from "../proof-checks";
import { TestStack, changesOf, cleanUp, createTestStack, freePort } from "./harness";
import { AMQP_HEADER, HTTP_GET, answers, placesToSearch } from "./probes";
import { startSshHost } from "./ssh-host";
import { ed25519KeyPair } from "../ssh-keys";

let ts: TestStack;
let container: string;
let target: SshTarget;
let amqpPort: number;
let mgmtPort: number;
let sshPort: number;

async function onHost(cmd: string): Promise<string> {
    const r = await sshExec(target, cmd);
    return r.stdout.trim();
}

beforeAll(async () => {
    amqpPort = await freePort();
    mgmtPort = await freePort();
    const host = await startSshHost("ssh", { amqpPort, managementPort: mgmtPort });
    container = host.container;
    target = host.target;
    sshPort = host.sshPort;
    const { keys, hostKey } = host;

    // An extra Debian suite served by the mirror, with its signing key: the seed's "add the repo and its key".
    const key = execFileSync(
        "gpg",
        [
            "--no-default-keyring",
            "--keyring",
            "/usr/share/keyrings/debian-archive-trixie-automatic.gpg",
            "--export",
            "--armor",
        ],
        { encoding: "utf8" },
    );
    ts = await createTestStack("ssh", {
        target: "ssh",
        ssh: {
            host: "127.0.0.1",
            port: sshPort,
            user: "root",
            privateKey: keys.private,
            hostKey,
            accessHost: "127.0.0.1",
            accessAmqpPort: amqpPort,
            accessManagementPort: mgmtPort,
        },
        aptSources: [
            {
                name: "trixie-updates",
                uri: "http://deb.debian.org/debian",
                suite: "trixie-updates",
                components: ["main"],
                key,
            },
        ],
        queues: [{ name: "jobs", type: "quorum", smoke: true }],
    });
});

afterAll(() => cleanUp(() => ts?.destroy(), container ? () => docker(["rm", "--force", container]) : undefined));

describe("SSH target", () => {
    let url: string;
    it("installs, configures and starts RabbitMQ over SSH with one pulumi up; the smoke test passes", async () => {
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(up.outputs.rabbitmqVersion.value).toMatch(/^4\.0\./);
        expect(up.outputs.erlangVersion.value).toMatch(/27\./);
        url = up.outputs.amqpUrl.value;
        expect(await onHost("cat /etc/apt/sources.list.d/burrow-trixie-updates.list")).toBe(
            "deb [signed-by=/etc/apt/keyrings/burrow-trixie-updates.asc] http://deb.debian.org/debian trixie-updates main",
        );
        expect(await onHost("head -1 /etc/apt/keyrings/burrow-trixie-updates.asc")).toBe(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        );
        expect(await onHost("rabbitmq-plugins -q is_enabled rabbitmq_management && echo on")).toContain("on");
    });

    it("carries AMQP traffic through the host's port", async () => {
        const conn = await amqp.connect(url);
        const ch = await conn.createConfirmChannel();
        ch.sendToQueue("jobs", Buffer.from("over-ssh"), { persistent: true });
        await ch.waitForConfirms();
        const m = await ch.get("jobs", { noAck: true });
        await conn.close();
        expect(m && m.content.toString()).toBe("over-ssh");
    });

    it("does nothing on a re-run with no change", async () => {
        const again = await ts.up();
        expect(changesOf(again)).toEqual({});
    });

    it("re-applies a changed setting without reinstalling", async () => {
        const dpkgBefore = await onHost("wc -l < /var/log/dpkg.log");
        await ts.stack.setConfig("burrow:memoryHighWatermark", { value: "0.5" });
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.summary.resourceChanges?.update).toBeGreaterThanOrEqual(1);
        expect(await onHost("grep -h watermark /etc/rabbitmq/rabbitmq.conf /etc/rabbitmq/conf.d/*.conf")).toBe(
            "vm_memory_high_watermark.relative = 0.5",
        );
        expect(await onHost("wc -l < /var/log/dpkg.log")).toBe(dpkgBefore);
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("keeps the private key out of the state files, the CLI output and the preview", async () => {
        // The lines of this key that no other ed25519 key shares (its first line is a fixed header).
        const lines = leakNeedles(target.privateKey, ed25519KeyPair().private);
        expect(lines.length).toBeGreaterThanOrEqual(3);
        await ts.preview({ diff: true });
        const places = Object.values(placesToSearch(ts));
        const found = lines.filter((l) => places.some((text) => text.includes(l)));
        recordFigure("security.ssh.private-key-leaked", found.length, lines.length);
        expect(found).toEqual([]);
    });

    it("purges the packages and the repository entries on destroy", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await onHost("dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null || echo gone")).not.toContain(
            "install ok installed",
        );
        expect(await onHost("ls /etc/apt/sources.list.d/ | grep -c burrow || true")).toBe("0");
        expect(await onHost("test -d /var/lib/rabbitmq && echo kept || echo purged")).toBe("purged");
    });
});

describe("SSH target through a tunnel", () => {
    // The broker listens only on the host's loopback; burrow reaches it through SSH tunnels.
    let tunnelStack: TestStack;
    afterAll(() => cleanUp(() => tunnelStack?.destroy()));

    it("installs, administers and smoke-tests a broker that listens only on the host's loopback", async () => {
        tunnelStack = await createTestStack("ssh-tunnel", {
            target: "ssh",
            ssh: {
                host: "127.0.0.1",
                port: target.port,
                user: "root",
                privateKey: target.privateKey,
                hostKey: target.hostKey,
                tunnel: true,
            },
            queues: [{ name: "via-tunnel", smoke: true }],
        });
        const up = await tunnelStack.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value).toMatchObject({ ok: true, queues: ["burrow.smoke", "via-tunnel"] });
        // The host's own socket table: AMQP and management listen, and only on loopback.
        const onHostSockets = parseProcNetTcp(await onHost("cat /proc/net/tcp")).concat(
            parseProcNetTcp(await onHost("cat /proc/net/tcp6 2>/dev/null || true")),
        );
        const broker = onHostSockets.filter((l) => l.port === 5672 || l.port === 15672);
        const beyond = broker.filter((l) => !isLoopback(l.address));
        recordFigure("security.ssh-tunnel.listeners-beyond-loopback", beyond.length);
        expect(beyond).toEqual([]);
        expect(broker.map((l) => l.port).sort()).toEqual(expect.arrayContaining([5672, 15672]));
        // From outside the host (its ports published to this machine), nothing answers: an exposed
        // broker would answer the AMQP header with Connection.Start and the HTTP request with a status.
        const answered = [await answers(amqpPort, AMQP_HEADER), await answers(mgmtPort, HTTP_GET)];
        recordFigure("security.ssh-tunnel.answers-from-outside", answered.filter(Boolean).length, 2);
        expect(answered).toEqual([false, false]);
        expect(await answers(sshPort, undefined)).toBe(true); // the probe does see a service that is there (sshd's banner)
        expect(changesOf(await tunnelStack.up())).toEqual({});
    });
});

describe("SSH target failures", () => {
    // Each fails at the install step with the host named and what to do; nothing is left half-made.
    const upError = async (role: string, ssh: Record<string, unknown>) => {
        const bad = await createTestStack(role, { target: "ssh", ssh: { host: "127.0.0.1", user: "root", ...ssh } });
        try {
            const err = await bad.stack.up().then(
                () => undefined,
                (e: Error) => e,
            );
            const state = await bad.stack.exportStack();
            const made = (state.deployment?.resources ?? []).filter((r: { type: string }) =>
                /RemoteRabbitmq|AdminUser|ManagementObject|BrokerDefinitions/.test(r.type),
            );
            return { message: String(err), made };
        } finally {
            await bad.destroy();
        }
    };

    it("refuses a host whose key does not match the pinned one", async () => {
        const other = ed25519KeyPair().public; // "ssh-ed25519 AAAA..." of another key
        const r = await upError("ssh-hostkey", { port: target.port, privateKey: target.privateKey, hostKey: other });
        expect(r.message).toContain(
            `host 127.0.0.1:${target.port}: the ssh-ed25519 host key does not match burrow:ssh.hostKey`,
        );
        expect(r.made).toEqual([]);
    });

    it("says so when the key is refused", async () => {
        const stranger = ed25519KeyPair().private;
        const r = await upError("ssh-badkey", { port: target.port, privateKey: stranger, hostKey: target.hostKey });
        expect(r.message).toContain(
            `host 127.0.0.1:${target.port}: the key in burrow:ssh.privateKey was refused for user "root" (burrow:ssh.user)`,
        );
        expect(r.made).toEqual([]);
    });

    it("says so when the host cannot be reached", async () => {
        const closed = await freePort();
        const r = await upError("ssh-unreachable", {
            port: closed,
            privateKey: target.privateKey,
            insecureIgnoreHostKey: true,
        });
        expect(r.message).toContain(
            `host 127.0.0.1:${closed} could not be reached (burrow:ssh.host, burrow:ssh.port): connect ECONNREFUSED`,
        );
        expect(r.made).toEqual([]);
    });
});
