// Dynamic provider: installs Erlang and RabbitMQ on a Debian-like host over SSH, the
// seed tutorial's install steps done by a script: extra apt repositories with their
// signing keys, apt-get install, rabbitmq.conf, plugins, cookie, service start (systemd
// when the host runs it, else the package's init script), and a readiness wait.
// Re-running with nothing changed does nothing; a changed setting rewrites only its file
// and restarts the node; nothing is reinstalled. Delete stops the node, purges the
// packages (removes them, keeping /var/lib/rabbitmq, when keepData) and the apt entries.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn } from "../../lib/dynamic-resource";
import { engineWarn } from "../../lib/engine-log";
import { planUpgrade } from "../../lib/upgrade-plan";
import * as crypto from "crypto";
import { unwrapSecrets } from "../../lib/secrets";
import { AptSource } from "../../lib/apt";
import { SshTarget, asRoot, shellQuote, sshExec, sshRun } from "../../lib/ssh";

export interface RemoteRabbitmqInputs {
    ssh: SshTarget;
    aptSources: AptSource[];
    /** Pinned rabbitmq-server package version, or "" for the suite's. */
    rabbitmqVersion: string;
    plugins: string[];
    amqpPort: number;
    managementPort: number;
    memoryHighWatermark: number;
    erlangCookie: string;
    keepData: boolean;
    /** Listen on the host's loopback only (clients come through SSH tunnels). */
    loopbackOnly: boolean;
    /**
     * A node of a cluster on SSH hosts (null: a single broker). At first boot the node joins
     * one of `peers` (the nodes before it, by RabbitMQ's classic-config peer discovery); on
     * delete it is forgotten through `forgetVia` (host 1; null for host 1 itself).
     */
    cluster: null | {
        /** "rabbit@<short name>"; "" = rabbit@ the host's `hostname -s`. */
        nodeName: string;
        peers: string[];
        forgetVia: SshTarget | null;
    };
}

export interface RemoteRabbitmqOutputs extends RemoteRabbitmqInputs {
    /** Changes when the node is (re)installed or restarted with new settings. */
    nodeId: string;
    /** The RabbitMQ node name in a cluster ("" for a single broker). */
    node: string;
    rabbitmqVersion: string;
    installedRabbitmqVersion: string;
    installedErlangVersion: string;
}

const q = shellQuote;

/** The install script; sent on stdin (it holds the cookie), run with bash as root. */
export function installScript(i: RemoteRabbitmqInputs): string {
    const conf = [
        `listeners.tcp.default = ${i.loopbackOnly ? "127.0.0.1:" : ""}${i.amqpPort}`,
        `management.tcp.port = ${i.managementPort}`,
        ...(i.loopbackOnly ? [`management.tcp.ip = 127.0.0.1`] : []),
        `loopback_users.guest = true`,
        `vm_memory_high_watermark.relative = ${i.memoryHighWatermark}`,
        ``,
    ].join("\n");
    const sources = i.aptSources.map((s) => {
        const keyFile = `/etc/apt/keyrings/burrow-${s.name}.asc`;
        const signed = s.key ? `[signed-by=${keyFile}] ` : "";
        return [
            s.key ? `mkdir -p /etc/apt/keyrings && printf '%s\\n' ${q(s.key.trim())} > ${keyFile}` : `rm -f ${keyFile}`,
            `printf '%s\\n' ${q(`deb ${signed}${s.uri} ${s.suite} ${s.components.join(" ")}`)} > /etc/apt/sources.list.d/burrow-${s.name}.list`,
        ].join("\n");
    });
    const pkg = i.rabbitmqVersion ? `rabbitmq-server=${i.rabbitmqVersion}` : "rabbitmq-server";
    const c = i.cluster;
    // Cluster: a fixed node name, and peer discovery by classic config listing the earlier
    // nodes and this one (written once the name is known on the host).
    const clusterName = c
        ? `node=${q(c.nodeName)}
[ -n "$node" ] || node="rabbit@$(hostname -s)"
for peer in ${c.peers.map(q).join(" ")}; do
  [ "$peer" = "$node" ] && { echo "node name $node is already taken by an earlier host of burrow:ssh.hosts; give each host its own hostname or set ssh.hosts[i].nodeName" >&2; exit 12; }
done
`
        : "";
    const clusterConf = c
        ? `cluster_formation.peer_discovery_backend = classic_config
cluster_formation.discovery_retry_limit = 60
cluster_formation.discovery_retry_interval = 1000
${c.peers.map((n, k) => `cluster_formation.classic_config.nodes.${k + 1} = ${n}\n`).join("")}`
        : "";
    const confWrite = c
        ? `{ cat <<'CONF'
${conf}${clusterConf}CONF
printf 'cluster_formation.classic_config.nodes.%s = %s\\n' ${c.peers.length + 1} "$node"
} | write /etc/rabbitmq/rabbitmq.conf 0644
printf 'NODENAME=%s\\n' "$node" | write /etc/rabbitmq/rabbitmq-env.conf 0644`
        : `write /etc/rabbitmq/rabbitmq.conf 0644 <<'CONF'
${conf}CONF`;
    // A node that could not reach its peers at first boot forms a cluster of its own: say so.
    const clusterWait =
        c && c.peers.length > 0
            ? `step "wait until the node is in the cluster of ${c.peers[0]}"
for i in $(seq 1 60); do
  rabbitmqctl -q cluster_status --formatter json 2>/dev/null | grep -qF ${q(`"${c.peers[0]}"`)} && break
  [ "$i" = 60 ] && { echo "node $node is running but not in the cluster of ${c.peers[0]}: the hosts must resolve each other's names and reach ports 4369 and 25672; see /var/log/rabbitmq/" >&2; exit 13; }
  sleep 1
done
`
            : "";
    return `set -euo pipefail
step() { echo "burrow-step: $*" >&2; }
step "check the host is Debian-like"
[ -f /etc/debian_version ] || { echo "not a Debian-like host (no /etc/debian_version): burrow installs with apt" >&2; exit 10; }
${clusterName}export DEBIAN_FRONTEND=noninteractive
step "apt repositories"
for f in /etc/apt/sources.list.d/burrow-*.list; do [ -e "$f" ] && rm -f "$f"; done
${sources.join("\n")}
step "install erlang and rabbitmq-server"
if ! dpkg-query -W -f='\${Status} \${Version}\\n' rabbitmq-server 2>/dev/null | grep -q "install ok installed${i.rabbitmqVersion ? ` ${i.rabbitmqVersion}` : ""}"; then
  apt-get update -qq
  # The service is started below, once configured.
  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends erlang-nox ${pkg}
  rm -f /usr/sbin/policy-rc.d
fi
step "configure"
changed=0
write() { # write FILE MODE: stdin to FILE if different
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if ! cmp -s "$tmp" "$1"; then install -m "$2" -o rabbitmq -g rabbitmq "$tmp" "$1"; changed=1; fi
  rm -f "$tmp"
}
${confWrite}
printf '[%s].\\n' ${q(i.plugins.join(","))} | write /etc/rabbitmq/enabled_plugins 0644
printf '%s' ${q(i.erlangCookie)} | write /var/lib/rabbitmq/.erlang.cookie 0400
step "start the service"
if [ -d /run/systemd/system ]; then
  systemctl enable --quiet rabbitmq-server
  if [ $changed = 1 ] || ! systemctl is-active --quiet rabbitmq-server; then systemctl restart rabbitmq-server; fi
else
  if [ $changed = 1 ] && rabbitmqctl -q status >/dev/null 2>&1; then /etc/init.d/rabbitmq-server stop >/dev/null || true; fi
  rabbitmqctl -q status >/dev/null 2>&1 || /etc/init.d/rabbitmq-server start >/dev/null
fi
step "wait until the node is ready"
for i in $(seq 1 120); do
  # check_port_listener, not check_port_connectivity: the latter dials the host name, which
  # a loopback-only listener (ssh.tunnel) does not answer.
  rabbitmq-diagnostics -q check_running >/dev/null 2>&1 \
    && rabbitmq-diagnostics -q check_port_listener ${i.amqpPort} >/dev/null 2>&1 \
    && rabbitmq-diagnostics -q check_port_listener ${i.managementPort} >/dev/null 2>&1 && break
  [ "$i" = 120 ] && { echo "RabbitMQ did not become ready within 120 s; see /var/log/rabbitmq/" >&2; exit 11; }
  sleep 1
done
${clusterWait}echo "changed=$changed"
${
    c
        ? `echo "node=$node"
`
        : ""
}dpkg-query -W -f='\${Package}=\${Version}\\n' rabbitmq-server erlang-base
`;
}

export function uninstallScript(i: RemoteRabbitmqInputs): string {
    return `set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ -d /run/systemd/system ]; then systemctl stop rabbitmq-server 2>/dev/null; else /etc/init.d/rabbitmq-server stop >/dev/null 2>&1; fi
pkill -u rabbitmq 2>/dev/null || true
${i.keepData ? "apt-get remove -y -qq rabbitmq-server" : "apt-get purge -y -qq rabbitmq-server && rm -rf /var/lib/rabbitmq /etc/rabbitmq"}
apt-get autoremove -y -qq ${i.keepData ? "" : "--purge"} >/dev/null
rm -f /etc/apt/sources.list.d/burrow-*.list /etc/apt/keyrings/burrow-*.asc
apt-get update -qq >/dev/null 2>&1 || true
`;
}

async function install(
    i: RemoteRabbitmqInputs,
): Promise<{ changed: boolean; node: string; rabbitmq: string; erlang: string }> {
    const r = await sshRun(i.ssh, "installing RabbitMQ", asRoot(i.ssh, "bash -s"), {
        input: installScript(i),
        timeoutMs: 20 * 60_000,
    }).catch((e: Error) => {
        const step = /burrow-step: (.*)/g;
        const steps = [...e.message.matchAll(step)].map((m) => m[1]);
        throw new Error(
            steps.length
                ? `${e.message.split("\n")[0]} at step "${steps.pop()}":\n${e.message
                      .split("\n")
                      .filter((l) => !l.startsWith("burrow-step:"))
                      .slice(1)
                      .join("\n")}`
                : e.message,
        );
    });
    const lines = r.stdout.trim().split("\n");
    const v = Object.fromEntries(
        lines.filter((l) => l.includes("=") && !l.startsWith("changed=")).map((l) => l.split("=") as [string, string]),
    );
    return {
        changed: lines.includes("changed=1"),
        node: v["node"] ?? "",
        rabbitmq: v["rabbitmq-server"] ?? "",
        erlang: v["erlang-base"] ?? "",
    };
}

export const remoteRabbitmqProvider: pulumi.dynamic.ResourceProvider<RemoteRabbitmqInputs, RemoteRabbitmqOutputs> = {
    async create(inputs) {
        const r = await install(inputs);
        const nodeId = crypto.randomUUID();
        return {
            id: `${inputs.ssh.host}:${inputs.ssh.port}`,
            outs: {
                ...inputs,
                nodeId,
                node: r.node,
                installedRabbitmqVersion: r.rabbitmq,
                installedErlangVersion: r.erlang,
            },
        };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changed = changedInputs(olds, news);
        // A new version pin is planned like the Docker target's release (lib/upgrade-plan.ts): a
        // downgrade or a new series is refused here, at preview, before the host is touched.
        if (news.rabbitmqVersion && olds.installedRabbitmqVersion) {
            const plan = planUpgrade({
                target: "ssh",
                from: { version: olds.installedRabbitmqVersion },
                to: { version: news.rabbitmqVersion },
            });
            if (plan.kind === "refused") throw new Error(`${news.ssh.host}: ${plan.message}`);
            if (plan.message) await engineWarn(`${news.ssh.host}: ${plan.message}`);
        }
        // Another host, or a node that joins or leaves cluster mode or changes its name
        // (its data belongs to the old name): a new node.
        const replaces = changed.filter(
            (k) =>
                (k === "ssh" && (olds.ssh.host !== news.ssh.host || olds.ssh.port !== news.ssh.port)) ||
                (k === "cluster" &&
                    (!olds.cluster !== !news.cluster || olds.cluster?.nodeName !== news.cluster?.nodeName)),
        );
        return { changes: changed.length > 0, replaces };
    },
    async update(_id, olds, news) {
        const r = await install(news);
        return {
            outs: {
                ...news,
                nodeId: r.changed ? crypto.randomUUID() : olds.nodeId,
                node: r.node,
                installedRabbitmqVersion: r.rabbitmq,
                installedErlangVersion: r.erlang,
            },
        };
    },
    async delete(_id, props) {
        await sshRun(props.ssh, "removing RabbitMQ", asRoot(props.ssh, "bash -s"), {
            input: uninstallScript(props),
            timeoutMs: 10 * 60_000,
        });
        // Scaling a cluster down: with this node stopped, the remaining nodes forget it
        // (best effort, like the Docker cluster: on destroy host 1 goes too).
        const via = props.cluster?.forgetVia;
        if (via && props.node) {
            await sshExec(via, asRoot(via, `rabbitmqctl -q forget_cluster_node ${q(props.node)}`), {
                timeoutMs: 120_000,
            }).catch(() => undefined);
        }
    },
};

export class RemoteRabbitmq extends DynamicResource {
    declare readonly nodeId: pulumi.Output<string>;
    declare readonly node: pulumi.Output<string>;
    declare readonly installedRabbitmqVersion: pulumi.Output<string>;
    declare readonly installedErlangVersion: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof RemoteRabbitmqInputs]: pulumi.Input<RemoteRabbitmqInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { remoteRabbitmqProvider }),
            "RemoteRabbitmq",
            name,
            {
                ...args,
                nodeId: undefined,
                node: undefined,
                installedRabbitmqVersion: undefined,
                installedErlangVersion: undefined,
            },
            { ...opts, additionalSecretOutputs: ["ssh", "erlangCookie", "cluster"] },
        );
    }
}
