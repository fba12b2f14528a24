// A real SSH host for tests and benchmarks: a container from the Debian base image
// running sshd, reached on 127.0.0.1, with a key pair made for it. With `systemd: true`
// the container boots systemd as PID 1 (sshd and the key's installer are its units), so the
// SSH target's systemd path runs as on a real machine: enabled units come back after a
// `docker restart` (the host's reboot), a unit's Restart= is systemd's.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { docker } from "../../lib/exec";
import { SshTarget, sshExec } from "../../lib/ssh";
import { freePort } from "./harness";
import { ed25519KeyPair } from "../ssh-keys";

const SSHD_IMAGE = "burrow-test/sshd:trixie";
const SSHD_DOCKERFILE = `FROM burrow/debian:trixie
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server \\
 && mkdir -p /run/sshd && rm -rf /var/lib/apt/lists/*
COPY sshd-entrypoint /usr/local/bin/sshd-entrypoint
ENTRYPOINT ["/usr/local/bin/sshd-entrypoint"]
`;
const SSHD_ENTRYPOINT = `#!/bin/sh
set -e
mkdir -p /root/.ssh && chmod 700 /root/.ssh
printf '%s\\n' "$AUTHORIZED_KEY" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
exec /usr/sbin/sshd -D -e
`;

const SYSTEMD_IMAGE = "burrow-test/sshd-systemd:trixie";
// systemd as PID 1: Debian's ssh.service, and a oneshot unit that writes the key the
// container was given (AUTHORIZED_KEY, PID 1's environment, passed to the unit) before sshd
// starts, on every boot. SIGRTMIN+3 makes systemd shut down cleanly on `docker stop/restart`.
const SYSTEMD_DOCKERFILE = `FROM burrow/debian:trixie
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd systemd-sysv dbus openssh-server \\
 && rm -rf /var/lib/apt/lists/*
COPY authorized-key.service /etc/systemd/system/authorized-key.service
RUN systemctl enable authorized-key.service ssh.service
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
`;
const AUTHORIZED_KEY_UNIT = `[Unit]
Description=Authorize the test key the container was started with (AUTHORIZED_KEY)
Before=ssh.service

[Service]
Type=oneshot
PassEnvironment=AUTHORIZED_KEY
ExecStart=/bin/sh -c 'mkdir -p /root/.ssh && chmod 700 /root/.ssh && echo "$$AUTHORIZED_KEY" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys'

[Install]
WantedBy=multi-user.target
`;

// Each built once per test process (a cached rebuild still costs a docker build).
const images = new Map<string, Promise<void>>();
function buildImage(tag: string, files: Record<string, string>): Promise<void> {
    let p = images.get(tag);
    if (!p) {
        p = buildImageNow(tag, files).catch((e) => {
            images.delete(tag);
            throw e;
        });
        images.set(tag, p);
    }
    return p;
}

async function buildImageNow(tag: string, files: Record<string, string>) {
    const dir = fs.mkdtempSync("/tmp/burrow-sshd-");
    for (const [name, text] of Object.entries(files))
        fs.writeFileSync(path.join(dir, name), text, { mode: name === "Dockerfile" ? 0o644 : 0o755 });
    await docker(["build", "--quiet", "--tag", tag, dir], { timeoutMs: 10 * 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * What systemd as PID 1 needs of Docker without --privileged (which these machines refuse):
 * SYS_ADMIN and no seccomp filter (it mounts and makes cgroups), /run and /run/lock as
 * tmpfs, and the cgroup tree. On cgroup v1 (hybrid, measured here: /sys/fs/cgroup is a
 * tmpfs, Docker 20.10 puts the container in the host's cgroup namespace) a read-only mount
 * of the tree is enough: the hierarchies under it stay writable and systemd reaches
 * "running" (tainted "cgroupsv1"). On cgroup v2 (not measured here) systemd needs the tree
 * writable in the host's cgroup namespace.
 */
function systemdRunArgs(): string[] {
    const v2 = execFileSync("stat", ["-fc", "%T", "/sys/fs/cgroup"], { encoding: "utf8" }).trim() === "cgroup2fs";
    return [
        "--cap-add",
        "SYS_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/run/lock",
        ...(v2
            ? ["--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
            : ["-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"]),
    ];
}

export interface SshHostOptions {
    /** A Docker network (made by the test) to attach the host to; default the bridge. */
    network?: string;
    /** The host's hostname, also its name on `network`, so hosts there resolve each other. */
    hostname?: string;
    /** More names the host answers to on `network`. */
    aliases?: string[];
    /** The key pair to authorize (default a new one): hosts of one cluster share a key. */
    keys?: { public: string; private: string };
    /** A memory limit for the host (its cgroup), in MB; default none. */
    memoryMb?: number;
    /** Boot systemd as PID 1 (image burrow-test/sshd-systemd:trixie); default a bare sshd, no init system. */
    systemd?: boolean;
}

/** Starts an sshd container publishing SSH and the broker's future ports on 127.0.0.1. */
export async function startSshHost(
    role: string,
    ports: { amqpPort: number; managementPort: number; metricsPort?: number },
    opts: SshHostOptions = {},
) {
    const image = opts.systemd ? SYSTEMD_IMAGE : SSHD_IMAGE;
    await (opts.systemd
        ? buildImage(SYSTEMD_IMAGE, { Dockerfile: SYSTEMD_DOCKERFILE, "authorized-key.service": AUTHORIZED_KEY_UNIT })
        : buildImage(SSHD_IMAGE, { Dockerfile: SSHD_DOCKERFILE, "sshd-entrypoint": SSHD_ENTRYPOINT }));
    const keys = opts.keys ?? ed25519KeyPair();
    const sshPort = await freePort();
    const container = `burrow-${role}-sshd-${opts.hostname ? `${opts.hostname}-` : ""}${Date.now().toString(36)}`;
    const naming = [
        ...(opts.network ? ["--network", opts.network] : []),
        ...(opts.hostname ? ["--hostname", opts.hostname] : []),
        ...(opts.network
            ? [opts.hostname, ...(opts.aliases ?? [])]
                  .filter((a) => a !== undefined)
                  .flatMap((a) => ["--network-alias", a])
            : []),
    ];
    await docker(
        [
            "run",
            "--detach",
            "--name",
            container,
            "--label",
            `burrow.test=${role}`,
            "--env",
            "AUTHORIZED_KEY",
            ...naming,
            ...(opts.memoryMb ? ["--memory", `${opts.memoryMb}m`] : []),
            ...(opts.systemd ? systemdRunArgs() : []),
            "--publish",
            `127.0.0.1:${sshPort}:22`,
            "--publish",
            `127.0.0.1:${ports.amqpPort}:5672`,
            "--publish",
            `127.0.0.1:${ports.managementPort}:15672`,
            ...(ports.metricsPort ? ["--publish", `127.0.0.1:${ports.metricsPort}:15692`] : []),
            image,
        ],
        { env: { AUTHORIZED_KEY: keys.public } },
    );
    if (opts.systemd) await systemdRunning(container);
    const hostKey = (await docker(["exec", container, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"])).stdout.trim();
    const target: SshTarget = { host: "127.0.0.1", port: sshPort, user: "root", privateKey: keys.private, hostKey };
    for (
        let i = 0;
        i < 50 &&
        (await sshExec(target, "true").then(
            () => false,
            () => true,
        ));
        i++
    )
        await new Promise((r) => setTimeout(r, 200));
    return {
        container,
        sshPort,
        keys,
        hostKey,
        target,
        remove: () =>
            docker(["rm", "--force", container]).then(
                () => undefined,
                () => undefined,
            ),
    };
}

/**
 * Waits until systemd in `container` has booted (`systemctl is-system-running --wait`:
 * "running", or "degraded" with the failed units named in the error), at most `ms`.
 */
export async function systemdRunning(container: string, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    let last = "";
    while (Date.now() < deadline) {
        const r = await docker(["exec", container, "systemctl", "is-system-running", "--wait"], {
            timeoutMs: ms,
        }).then(
            (o) => o.stdout.trim(),
            (e: Error & { stdout?: string }) => (e.stdout ?? e.message).trim(),
        );
        if (r === "running") return;
        last = r;
        if (r === "degraded") {
            const failed = await docker(["exec", container, "systemctl", "--failed", "--plain", "--no-legend"]);
            throw new Error(`systemd in ${container} is degraded: ${failed.stdout.trim()}`);
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`systemd in ${container} did not reach "running" within ${ms / 1000} s (last: ${last})`);
}

/**
 * A host of `burrow:ssh.hosts` (or `burrow:ssh`) for a test host: reached on its published
 * sshd port with its pinned key, its broker through its published ports.
 */
export function sshHostEntry(
    h: { sshPort: number; hostKey: string; amqpPort: number; managementPort: number },
    nodeName?: string,
) {
    return {
        host: "127.0.0.1",
        port: h.sshPort,
        hostKey: h.hostKey,
        accessHost: "127.0.0.1",
        accessAmqpPort: h.amqpPort,
        accessManagementPort: h.managementPort,
        ...(nodeName ? { nodeName } : {}),
    };
}
