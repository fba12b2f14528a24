// The seed tutorial's own path, for real: the SSH target on a host that boots systemd as PID 1
// (test/integration/ssh-host.ts, systemd: true), installed by a real `pulumi up`. Measured on
// the host, never read from a unit file: the unit rabbitmq-server is enabled and active and
// the broker runs in it; the open-file limit of burrow's drop-in (LimitNOFILE) and its
// EnvironmentFile reach the running beam.smp (/proc/<pid>/limits, the VM's schedulers);
// RabbitMQ is told the host container's 2 GB (a limit above systemd's cgroup); a
// `kill -9` of the broker is undone by systemd (the unit's Restart=) with every confirmed
// persistent message kept; a reboot of the host (`docker restart` of its container, systemd
// shutting down and booting again) brings the enabled unit back with its data; an `up` after
// that changes nothing; a new open-file limit goes through the drop-in; destroy stops and
// removes the unit's package and the drop-in.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { SshTarget, sshExec } from "../../lib/ssh";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { TestStack, changesOf, createTestStack, freePort } from "./harness";
import { startSshHost, systemdRunning } from "./ssh-host";

const ADMIN_PASSWORD = "ssh-systemd-Admin-pa55-7";
const QUEUE = "systemd"; // declared by the test: only the host's data keeps it
const COUNT = 2000;
const DROP_IN = "/etc/systemd/system/rabbitmq-server.service.d/burrow.conf";

let ts: TestStack;
let destroyed = false;
let target: SshTarget;
let container = "";
let remove: () => Promise<void> = async () => undefined;
let url = "";
let hostHard = 0;

const onHost = async (cmd: string) => (await sshExec(target, cmd, { timeoutMs: 120_000 })).stdout.trim();
const beamPid = () => onHost("pgrep -u rabbitmq -f beam.smp | head -1");
const openFilesOf = async (pid: string) =>
    Number(/^Max open files\s+(\d+)/m.exec(await onHost(`cat /proc/${pid}/limits`))?.[1]);
const unit = (prop: string) => onHost(`systemctl show rabbitmq-server -p ${prop} --value`);

/** Milliseconds from `since` until an AMQP connection (handshake and login) succeeds, polled every 250 ms; at most 5 min. */
async function amqpAnswers(since: number): Promise<number> {
    const deadline = since + 5 * 60_000;
    for (;;) {
        try {
            const c = await amqp.connect(url, { timeout: 2000 });
            c.on("error", () => undefined);
            await c.close().catch(() => undefined);
            return Date.now() - since;
        } catch (e) {
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 250));
        }
    }
}

/** Declares the durable queue (purged) and publishes COUNT persistent messages with confirms; returns those confirmed. */
async function publish(prefix: string): Promise<number> {
    const c = await amqp.connect(url);
    const ch = await c.createChannel();
    await ch.assertQueue(QUEUE, { durable: true });
    await ch.purgeQueue(QUEUE);
    await c.close();
    const r = await publishConfirmed(url, QUEUE, COUNT, { prefix });
    return r.confirmed;
}

/** Consumes the messages back (to the count or 60 s), then reads what is left: lost and duplicated. */
async function consumeAll(prefix: string) {
    const seen = new Map<string, number>();
    await consumeUpTo(url, QUEUE, COUNT, seen, 60_000);
    return tally(seen, COUNT, await queueDepth(url, QUEUE), prefix);
}

beforeAll(async () => {
    const amqpPort = await freePort();
    const managementPort = await freePort();
    // A host whose cgroup has less memory than the machine: RabbitMQ must be told the smaller figure.
    const host = await startSshHost("it-systemd", { amqpPort, managementPort }, { systemd: true, memoryMb: 2048 });
    target = host.target;
    container = host.container;
    remove = host.remove;
    ts = await createTestStack("ssh-systemd", {
        target: "ssh",
        adminPassword: ADMIN_PASSWORD,
        ssh: {
            host: "127.0.0.1",
            port: host.sshPort,
            privateKey: host.keys.private,
            hostKey: host.hostKey,
            accessAmqpPort: amqpPort,
            accessManagementPort: managementPort,
        },
        // Reaches the node only through the drop-in's EnvironmentFile (one scheduler: 2 cores here).
        envConfig: { SERVER_ADDITIONAL_ERL_ARGS: "+S 1:1" },
    });
    const up = await ts.up();
    expect(up.summary.result).toBe("succeeded");
    url = up.outputs.amqpUrl.value;
});
afterAll(async () => {
    if (!destroyed) await ts?.destroy().catch((e) => console.error(e));
    await remove();
});

describe("the SSH target on a host running systemd (the seed tutorial's systemctl path)", () => {
    it("installs RabbitMQ as the systemd unit rabbitmq-server, enabled and active, the broker running in it", async () => {
        expect(await onHost("systemctl is-system-running")).toBe("running");
        const enabled = await onHost("systemctl is-enabled rabbitmq-server");
        const active = await onHost("systemctl is-active rabbitmq-server");
        recordFigure("production.systemd.unit-enabled", enabled === "enabled" && active === "active" ? 1 : 0, 1);
        expect(enabled).toBe("enabled");
        expect(active).toBe("active");
        // The broker is the unit's main process, not one the init script started beside systemd.
        const pid = await beamPid();
        expect(await unit("MainPID")).toBe(pid);
        expect(await onHost(`cat /proc/${pid}/cgroup`)).toContain("/system.slice/rabbitmq-server.service");
        // burrow's drop-in is loaded; the init script's file stays the package's own on this path.
        expect((await unit("DropInPaths")).split(/\s+/)).toContain(DROP_IN);
        expect(await onHost("grep -c 'written by burrow' /etc/default/rabbitmq-server || true")).toBe("0");
        // Restart= comes from Debian's unit (burrow's drop-in does not need to add it).
        expect(await unit("Restart")).toBe("on-failure");
    });

    it("gives the broker process 65,536 open files or what systemd may grant (PID 1's hard limit), measured in /proc", async () => {
        // Without CAP_SYS_RESOURCE (a container) systemd grants at most its own hard limit.
        hostHard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(await onHost("cat /proc/1/limits"))?.[1]);
        const got = await openFilesOf(await beamPid());
        recordFigure("production.systemd.host-hard-fd-limit", hostHard);
        recordFigure("production.systemd.fd-limit", got);
        expect(got).toBe(Math.min(65536, hostHard));
        expect(got).toBeGreaterThan(1024);
        expect(await unit("LimitNOFILE")).toBe("65536"); // asked; /proc above is what was granted
        expect(ts.output.join("").includes(`host 127.0.0.1 caps open files at ${got} (its hard limit)`)).toBe(
            got < 65536,
        );
        // burrow:envConfig through the drop-in's EnvironmentFile.
        expect(await onHost(`rabbitmqctl -q eval 'erlang:system_info(schedulers).'`)).toBe("1");
    });

    it("tells RabbitMQ the host's memory: its cgroup's limit (2 GB), seen from systemd's cgroup", async () => {
        // systemd shares the host's cgroup namespace here: the tree's root is the machine's, the
        // container's limit is on an ancestor of PID 1's cgroup.
        const told = Number(await onHost(`rabbitmqctl -q eval 'vm_memory_monitor:get_total_memory().'`));
        recordFigure("production.systemd.memory-told-bytes", told);
        expect(told).toBe(2048 * 1024 * 1024);
    });

    it("brings the broker back after kill -9 (systemd's Restart=on-failure), every confirmed message kept", async () => {
        const confirmed = await publish("k");
        recordFigure("production.systemd.kill9-confirmed", confirmed, COUNT);
        expect(confirmed).toBe(COUNT);
        const pid = await beamPid();
        const restartsBefore = Number(await unit("NRestarts"));
        const killedAt = Date.now();
        await onHost(`kill -9 ${pid}`);
        const ms = await amqpAnswers(killedAt);
        recordFigure("production.systemd.kill9-recover-ms", ms);
        expect(await beamPid()).not.toBe(pid);
        expect(Number(await unit("NRestarts"))).toBe(restartsBefore + 1);
        expect(await onHost("systemctl is-active rabbitmq-server")).toBe("active");
        const t = await consumeAll("k");
        recordFigure("production.systemd.kill9-lost", t.lost);
        recordFigure("production.systemd.kill9-duplicated", t.duplicated);
        expect(t).toEqual({ received: COUNT, duplicated: 0, lost: 0, leftInQueue: 0 });
    });

    it("brings the broker back with its data after a reboot of the host (the enabled unit)", async () => {
        const confirmed = await publish("r");
        recordFigure("production.systemd.reboot-confirmed", confirmed, COUNT);
        expect(confirmed).toBe(COUNT);
        // /run is a tmpfs of the container: a marker there is gone after a boot.
        await onHost("touch /run/burrow-before-reboot");
        const restartedAt = Date.now();
        // systemd shuts down cleanly (SIGRTMIN+3); 120 s before Docker would kill it.
        await docker(["restart", "--time", "120", container], { timeoutMs: 180_000 });
        const ms = await amqpAnswers(restartedAt);
        recordFigure("production.systemd.reboot-recover-ms", ms);
        await systemdRunning(container);
        expect(await onHost("test -e /run/burrow-before-reboot && echo same-boot || echo rebooted")).toBe("rebooted");
        expect(await onHost("systemctl is-active rabbitmq-server")).toBe("active");
        expect(await onHost("systemctl is-enabled rabbitmq-server")).toBe("enabled");
        expect(await openFilesOf(await beamPid())).toBe(Math.min(65536, hostHard));
        const t = await consumeAll("r");
        recordFigure("production.systemd.reboot-lost", t.lost);
        recordFigure("production.systemd.reboot-duplicated", t.duplicated);
        expect(t).toEqual({ received: COUNT, duplicated: 0, lost: 0, leftInQueue: 0 });
    });

    it("changes nothing on an up after the reboot", async () => {
        const pid = await beamPid();
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect(changesOf(r)).toEqual({});
        expect(await beamPid()).toBe(pid);
    });

    it("applies a new burrow:openFileLimit through the drop-in, restarting the unit", async () => {
        const want = hostHard > 16384 ? 16384 : 4096;
        const pid = await beamPid();
        await ts.stack.setConfig("burrow:openFileLimit", { value: String(want) });
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        const newPid = await beamPid();
        const got = await openFilesOf(newPid);
        recordFigure("production.systemd.fd-limit-changed", got);
        expect(got).toBe(want);
        expect(newPid).not.toBe(pid);
        expect(await onHost(`grep -x 'LimitNOFILE=${want}' ${DROP_IN}`)).toBe(`LimitNOFILE=${want}`);
        expect(await unit("MainPID")).toBe(newPid);
    });

    it("destroy stops the unit and removes the package and burrow's drop-in", async () => {
        destroyed = true;
        await ts.destroy();
        expect(await onHost("pgrep -u rabbitmq -f beam.smp || echo none")).toBe("none");
        expect(await onHost("systemctl is-active rabbitmq-server || true")).toBe("inactive");
        expect(await onHost(`test -e ${DROP_IN} && echo left || echo gone`)).toBe("gone");
        expect(await onHost("dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null || echo gone")).not.toContain(
            "install ok installed",
        );
        expect(await onHost("systemctl is-system-running")).toBe("running");
    });
});
