// A real SSH host for tests and benchmarks: a container from the Debian base image
// running sshd, reached on 127.0.0.1, with a key pair made for it.
import * as fs from "fs";
import * as path from "path";
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

// Built once per test process (a cached rebuild still costs a docker build).
let sshdImage: Promise<void> | undefined;
function buildSshdImage(): Promise<void> {
    sshdImage ??= buildSshdImageNow().catch((e) => {
        sshdImage = undefined;
        throw e;
    });
    return sshdImage;
}

async function buildSshdImageNow() {
    const dir = fs.mkdtempSync("/tmp/burrow-sshd-");
    fs.writeFileSync(path.join(dir, "Dockerfile"), SSHD_DOCKERFILE);
    fs.writeFileSync(path.join(dir, "sshd-entrypoint"), SSHD_ENTRYPOINT, { mode: 0o755 });
    await docker(["build", "--quiet", "--tag", SSHD_IMAGE, dir], { timeoutMs: 10 * 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
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
}

/** Starts an sshd container publishing SSH and the broker's future ports on 127.0.0.1. */
export async function startSshHost(
    role: string,
    ports: { amqpPort: number; managementPort: number; metricsPort?: number },
    opts: SshHostOptions = {},
) {
    await buildSshdImage();
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
            "--publish",
            `127.0.0.1:${sshPort}:22`,
            "--publish",
            `127.0.0.1:${ports.amqpPort}:5672`,
            "--publish",
            `127.0.0.1:${ports.managementPort}:15672`,
            ...(ports.metricsPort ? ["--publish", `127.0.0.1:${ports.metricsPort}:15692`] : []),
            SSHD_IMAGE,
        ],
        { env: { AUTHORIZED_KEY: keys.public } },
    );
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
