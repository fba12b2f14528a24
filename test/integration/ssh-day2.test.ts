// Day-2 safety on the SSH target, against real sshd hosts and real `pulumi up`/`destroy`:
// the same box re-addressed (127.0.0.1 -> localhost) or turned into ssh.hosts keeps its
// broker and messages and is not reinstalled; a renamed node is replaced on the same box
// without leaving it without RabbitMQ; keepData destroy -> up finds the queue and its
// messages; destroy removes only packages burrow installed (never an autoremove), and fails
// with the host named while dpkg is locked; a RabbitMQ that was on a host before burrow is
// refused and left untouched, and adopted only with consent, then left in place on destroy.
// Before each change persistent messages are published with confirms; after it they are
// consumed to the count (or a deadline), then the queue's depth is read.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshTarget, sshExec } from "../../lib/ssh";
import { recordFigure } from "../figures";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { startSshHost } from "./ssh-host";

const PASSWORD = "ssh-day2-Admin-1";
const QUEUE = "day2"; // declared by the test, not in config: only the host's data keeps it
const COUNT = 500;
const HOSTNAME = "burrow-day2";

type Host = Awaited<ReturnType<typeof startSshHost>> & { amqpPort: number; managementPort: number };

async function sshHost(role: string, hostname?: string): Promise<Host> {
    const ports = { amqpPort: await freePort(), managementPort: await freePort() };
    return { ...(await startSshHost(role, ports, { hostname })), ...ports };
}

async function on(t: SshTarget, cmd: string): Promise<string> {
    const r = await sshExec(t, cmd, { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
}

const dpkgStatus = (t: SshTarget, pkg: string) =>
    on(t, `dpkg-query -W -f='\${db:Status-Abbrev}' ${pkg} 2>/dev/null | cut -c1-2 || echo none`);
const dpkgLogLines = (t: SshTarget) => on(t, "wc -l < /var/log/dpkg.log");

/** Publishes `n` persistent messages into the durable queue (declared here, emptied first); the broker's confirms counted. */
async function publish(url: string, n: number, tag: string): Promise<number> {
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(QUEUE, { durable: true });
    await ch.purgeQueue(QUEUE);
    let confirmed = 0;
    for (let i = 0; i < n; i++)
        ch.sendToQueue(QUEUE, Buffer.from(`${tag}-${i}`), { persistent: true }, (err) => {
            if (!err) confirmed++;
        });
    await ch.waitForConfirms().catch(() => undefined);
    await conn.close();
    return confirmed;
}

/** Consumes until `n` arrived or 30 s passed, then reads the depth left: lost, duplicated, left over. */
async function count(url: string, n: number, tag: string) {
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.prefetch(200);
    const seen = new Map<string, number>();
    let received = 0;
    await new Promise<void>((resolve) => {
        const deadline = setTimeout(resolve, 30_000);
        void ch.consume(QUEUE, (m) => {
            if (!m) return;
            const body = m.content.toString();
            seen.set(body, (seen.get(body) ?? 0) + 1);
            received++;
            ch.ack(m);
            if (received >= n) {
                clearTimeout(deadline);
                resolve();
            }
        });
    });
    await ch.close();
    const ch2 = await conn.createChannel();
    const depth = (await ch2.checkQueue(QUEUE)).messageCount;
    await conn.close();
    let lost = 0;
    for (let i = 0; i < n; i++) if (!seen.has(`${tag}-${i}`)) lost++;
    return { lost, duplicated: received - seen.size, depth };
}

/** Publish before a change, count after it, record the figures before asserting. */
async function acrossChange(
    scenario: "readdress" | "to-hosts" | "keepdata",
    url: () => string,
    change: () => Promise<void>,
) {
    const confirmed = await publish(url(), COUNT, scenario);
    recordFigure(`ssh-day2.${scenario}.confirmed`, confirmed, COUNT);
    expect(confirmed).toBe(COUNT);
    await change();
    const r = await count(url(), COUNT, scenario);
    recordFigure(`ssh-day2.${scenario}.lost`, r.lost);
    recordFigure(`ssh-day2.${scenario}.duplicated`, r.duplicated);
    recordFigure(`ssh-day2.${scenario}.left`, r.depth);
    expect(r).toEqual({ lost: 0, duplicated: 0, depth: 0 });
}

describe("one SSH host through day-2 changes", () => {
    let host: Host;
    let ts: TestStack;
    let url = "";
    const up = async () => {
        const r = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(r.summary.result).toBe("succeeded");
        expect(r.outputs.smoke.value.ok).toBe(true);
        url = r.outputs.amqpUrl.value;
        return r;
    };
    const access = () => ({
        hostKey: host.hostKey,
        accessHost: "127.0.0.1",
        accessAmqpPort: host.amqpPort,
        accessManagementPort: host.managementPort,
    });
    const single = (address: string) => ({
        host: address,
        port: host.sshPort,
        user: "root",
        privateKey: host.keys.private,
        ...access(),
    });
    const hosts = (address: string, nodeName?: string) => ({
        user: "root",
        privateKey: host.keys.private,
        hosts: [{ host: address, port: host.sshPort, ...access(), ...(nodeName ? { nodeName } : {}) }],
    });
    const setSsh = (v: object) => ts.stack.setConfig("burrow:ssh", { value: JSON.stringify(v), secret: true });

    beforeAll(async () => {
        host = await sshHost("ssh-day2", HOSTNAME);
        // Before burrow: socat (a dependency of rabbitmq-server, so burrow must not count it as
        // its own) and netcat-openbsd marked automatic with nothing needing it (a system-wide
        // `apt-get autoremove` would take it).
        await on(
            host.target,
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat netcat-openbsd >/dev/null && apt-mark auto netcat-openbsd >/dev/null",
        );
        ts = await createTestStack("ssh-day2", {
            target: "ssh",
            adminPassword: PASSWORD,
            ssh: single("127.0.0.1"),
        });
    }, 10 * 60_000);

    afterAll(async () => {
        await ts?.destroy().catch((e) => console.error(e));
        await host?.remove();
    });

    it("installs on a fresh host and marks what it added as its own", async () => {
        await up();
        const marker = await on(host.target, "cat /etc/burrow/owner");
        expect(marker).toMatch(/^owner=[0-9a-f]{16}\ninstall=[0-9a-f-]{36}\nadopted=0\n/);
        const mine = (await on(host.target, "cat /etc/burrow/packages")).split("\n");
        expect(mine).toContain("rabbitmq-server");
        expect(mine).toContain("python3");
        expect(mine).not.toContain("socat");
        expect(mine).not.toContain("netcat-openbsd");
        // Installed after burrow, needing burrow's python3: destroy must keep python3 for it.
        await on(
            host.target,
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-six >/dev/null",
        );
    });

    it("re-addressed (127.0.0.1 -> localhost, the same sshd): an in-place update, 0 lost, nothing reinstalled", async () => {
        const dpkgBefore = await dpkgLogLines(host.target);
        await acrossChange(
            "readdress",
            () => url,
            async () => {
                await setSsh(single("localhost"));
                const r = await up();
                recordFigure("ssh-day2.readdress.resources-replaced", r.summary.resourceChanges?.replace ?? 0);
                expect(r.summary.resourceChanges?.replace ?? 0).toBe(0);
                expect(r.summary.resourceChanges?.delete ?? 0).toBe(0);
            },
        );
        expect(await dpkgLogLines(host.target)).toBe(dpkgBefore);
        expect(changesOf(await ts.stack.up({ onOutput: (o) => ts.output.push(o) }))).toEqual({});
    });

    it("turned into ssh.hosts (a cluster of one): the box keeps its broker and messages, nothing reinstalled", async () => {
        const dpkgBefore = await dpkgLogLines(host.target);
        const installBefore = await on(host.target, "sed -n 's/^install=//p' /etc/burrow/owner");
        await acrossChange(
            "to-hosts",
            () => url,
            async () => {
                await setSsh(hosts("localhost"));
                await ts.stack.setConfig("burrow:cluster", { value: "true" });
                const r = await up();
                // The single host's resources went (that delete found the box taken over) ...
                expect(r.summary.resourceChanges?.delete ?? 0).toBeGreaterThanOrEqual(2);
            },
        );
        // ... and left the new install alone: its marker, its package, its running node.
        expect(await on(host.target, "sed -n 's/^install=//p' /etc/burrow/owner")).not.toBe(installBefore);
        expect(await dpkgStatus(host.target, "rabbitmq-server")).toBe("ii");
        expect(await dpkgLogLines(host.target)).toBe(dpkgBefore);
        expect(changesOf(await ts.stack.up({ onOutput: (o) => ts.output.push(o) }))).toEqual({});
    });

    it("a renamed node (ssh.hosts[0].nodeName) is refused until consented, then replaced on the same box, which keeps RabbitMQ running", async () => {
        const dpkgBefore = await dpkgLogLines(host.target);
        const nodeBefore = (await on(host.target, "rabbitmqctl -q eval 'node().'")).replace(/^'|'$/g, "");
        await setSsh(hosts("localhost", `day2@${HOSTNAME}`));
        // The old name's messages stay on disk where the new node never reads them: a loss.
        const refused = await ts.stack.preview().then(
            () => "",
            (e: Error) => String(e),
        );
        expect(refused).toContain(`node ${nodeBefore} on localhost`);
        expect(refused).toContain(`burrow:allowDataLoss '["node ${nodeBefore}"]'`);
        await ts.stack.setConfig("burrow:allowDataLoss", { value: JSON.stringify([`node ${nodeBefore}`]) });
        const r = await up();
        await ts.stack.removeConfig("burrow:allowDataLoss");
        expect(r.summary.resourceChanges?.replace ?? 0).toBeGreaterThanOrEqual(1);
        expect(await on(host.target, "rabbitmqctl -q eval 'node().'")).toBe(`'day2@${HOSTNAME}'`); // a quoted atom
        expect(await dpkgStatus(host.target, "rabbitmq-server")).toBe("ii");
        expect(await dpkgLogLines(host.target)).toBe(dpkgBefore); // renamed in place, not reinstalled
        expect(changesOf(await ts.stack.up({ onOutput: (o) => ts.output.push(o) }))).toEqual({});
    });

    it("keepData set, then destroy at once (no up between): the data and the marker are kept; the next up finds the queue and its messages", async () => {
        // The last up recorded keepData false; the delete reads the stack's config (lib/keep-data.ts).
        await ts.stack.setConfig("burrow:keepData", { value: "true" });
        await acrossChange(
            "keepdata",
            () => url,
            async () => {
                const out: string[] = [];
                const d = await ts.stack.destroy({ onOutput: (o) => out.push(o) });
                ts.output.push(...out);
                expect(d.summary.result).toBe("succeeded");
                expect(out.join("")).toContain(
                    `localhost:${host.sshPort}: kept /var/lib/rabbitmq with the node's data: burrow:keepData is true in the stack's config`,
                );
                expect(await dpkgStatus(host.target, "rabbitmq-server")).not.toBe("ii");
                expect(await on(host.target, "ls /var/lib/rabbitmq/mnesia")).toContain(`day2@${HOSTNAME}`);
                expect(await on(host.target, "sed -n 's/^node=//p' /etc/burrow/owner")).toBe(`day2@${HOSTNAME}`);
                await up();
            },
        );
    });

    it("destroy fails with the host named while dpkg is locked, and removes nothing", async () => {
        await ts.stack.setConfig("burrow:keepData", { value: "false" });
        await up();
        // Another apt run holds the dpkg lock (as unattended-upgrades would) for 3 minutes.
        const holder = await on(
            host.target,
            `nohup apt-get -qq -o 'DPkg::Pre-Invoke::=sleep 180' install --reinstall -y socat >/dev/null 2>&1 & echo $!`,
        );
        await new Promise((r) => setTimeout(r, 3000));
        const err = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) }).then(
            () => "",
            (e: Error) => String(e),
        );
        recordFigure(
            "ssh-day2.destroy-while-dpkg-locked.refused",
            err.includes(`localhost:${host.sshPort}: removing RabbitMQ failed`) ? 1 : 0,
            1,
        );
        expect(err).toContain(`localhost:${host.sshPort}: removing RabbitMQ failed`);
        expect(err).toContain("dpkg frontend lock");
        expect(err).toContain(`on host ${HOSTNAME}; nothing more was removed`);
        expect(await dpkgStatus(host.target, "rabbitmq-server")).toBe("ii");
        expect(await on(host.target, "cat /etc/burrow/owner | wc -l")).not.toBe("0");
        await on(host.target, `kill ${holder}; pkill -f '^sleep 180' || true; sleep 2`);
    });

    it("destroy then removes only what burrow installed, never what was there before or needs its packages", async () => {
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        const others = ["socat", "netcat-openbsd", "python3-six", "python3"];
        const removed = (await Promise.all(others.map((p) => dpkgStatus(host.target, p)))).filter((s) => s !== "ii");
        recordFigure("ssh-day2.destroy.others-packages-removed", removed.length, others.length);
        expect(await dpkgStatus(host.target, "rabbitmq-server")).not.toBe("ii");
        expect(await dpkgStatus(host.target, "erlang-base")).not.toBe("ii");
        // There before burrow (one of them only an autoremove candidate): still there.
        expect(await dpkgStatus(host.target, "socat")).toBe("ii");
        expect(await dpkgStatus(host.target, "netcat-openbsd")).toBe("ii");
        // Installed by burrow, but needed by a package installed after it: kept, with that package.
        expect(await dpkgStatus(host.target, "python3")).toBe("ii");
        expect(await dpkgStatus(host.target, "python3-six")).toBe("ii");
        expect(await on(host.target, "ls -d /var/lib/rabbitmq /etc/rabbitmq /etc/burrow 2>/dev/null | wc -l")).toBe(
            "0",
        );
        expect(await on(host.target, "pgrep -u rabbitmq -f beam.smp | wc -l")).toBe("0");
    });
});

describe("a RabbitMQ that was on the host before burrow", () => {
    let host: Host;
    let ts: TestStack;
    const fingerprint = () =>
        on(
            host.target,
            "cd / && sha256sum etc/rabbitmq/* var/lib/rabbitmq/.erlang.cookie 2>/dev/null; dpkg-query -W -f='${Version}' rabbitmq-server; echo; ls /var/lib/rabbitmq/mnesia",
        );
    let before = "";
    let changed = 0; // refusal, then adopt + destroy: times the foreign install's fingerprint differed

    beforeAll(async () => {
        host = await sshHost("ssh-day2-foreign");
        // Someone's own RabbitMQ, started by its package, with its own configuration.
        await on(
            host.target,
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null && printf 'listeners.tcp.default = 5672\\n' > /etc/rabbitmq/rabbitmq.conf && (rabbitmqctl -q status >/dev/null 2>&1 || /etc/init.d/rabbitmq-server start >/dev/null) && rabbitmqctl -q add_vhost theirs",
        );
        before = await fingerprint();
        ts = await createTestStack("ssh-day2-foreign", {
            target: "ssh",
            adminPassword: PASSWORD,
            ssh: {
                host: "127.0.0.1",
                port: host.sshPort,
                user: "root",
                privateKey: host.keys.private,
                hostKey: host.hostKey,
                accessHost: "127.0.0.1",
                accessAmqpPort: host.amqpPort,
                accessManagementPort: host.managementPort,
            },
        });
    }, 10 * 60_000);

    afterAll(async () => {
        await ts?.destroy().catch((e) => console.error(e));
        await host?.remove();
    });

    it("is refused with the host named and the consent key, and left untouched", async () => {
        const dpkgBefore = await dpkgLogLines(host.target);
        const err = await ts.stack.up({ onOutput: (o) => ts.output.push(o) }).then(
            () => "",
            (e: Error) => String(e),
        );
        recordFigure("ssh-day2.foreign-rabbitmq.refused", err.includes("did not install") ? 1 : 0, 1);
        changed += (await fingerprint()) === before ? 0 : 1;
        expect(err).toContain(`127.0.0.1:${host.sshPort} (hostname `);
        expect(err).toContain("already has a RabbitMQ that this stack did not install: rabbitmq-server 4.0.5");
        expect(err).toContain("burrow:ssh.adoptExisting true");
        expect(await fingerprint()).toBe(before);
        expect(await dpkgLogLines(host.target)).toBe(dpkgBefore);
        expect(await on(host.target, "ls /etc/burrow 2>/dev/null | wc -l")).toBe("0");
        expect(await on(host.target, "rabbitmqctl -q list_vhosts | sort | tr '\\n' ' '")).toContain("theirs");
    });

    it("with ssh.adoptExisting is adopted, and destroy leaves it installed with its own configuration and data", async () => {
        await ts.stack.setConfig("burrow:ssh", {
            value: JSON.stringify({
                host: "127.0.0.1",
                port: host.sshPort,
                user: "root",
                privateKey: host.keys.private,
                hostKey: host.hostKey,
                accessHost: "127.0.0.1",
                accessAmqpPort: host.amqpPort,
                accessManagementPort: host.managementPort,
                adoptExisting: true,
            }),
            secret: true,
        });
        const r = await ts.stack.up({ onOutput: (o) => ts.output.push(o) });
        expect(r.summary.result).toBe("succeeded");
        expect(r.outputs.smoke.value.ok).toBe(true);
        expect(await on(host.target, "sed -n 's/^adopted=//p' /etc/burrow/owner")).toBe("1");
        // What it had is saved, readable by root only (its cookie is in it).
        expect(await on(host.target, "stat -c %a /etc/burrow/adopted.tar")).toBe("600");
        const d = await ts.stack.destroy({ onOutput: (o) => ts.output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await dpkgStatus(host.target, "rabbitmq-server")).toBe("ii");
        changed += (await fingerprint()) === before ? 0 : 1;
        recordFigure("ssh-day2.foreign-rabbitmq.files-changed", changed, 2);
        expect(await fingerprint()).toBe(before);
        expect(await on(host.target, "ls /etc/burrow 2>/dev/null | wc -l")).toBe("0");
        // It ran before burrow took it over, so it runs again, with its own data.
        expect(await on(host.target, "rabbitmqctl -q list_vhosts | sort | tr '\\n' ' '")).toContain("theirs");
    });
});
