// Dynamic provider: installs Erlang and RabbitMQ on a Debian-like host over SSH, the
// seed tutorial's install steps done by a script: extra apt repositories with their
// signing keys, apt-get install, rabbitmq.conf, plugins, cookie, service start (systemd
// when the host runs it, else the package's init script), and a readiness wait.
// Re-running with nothing changed does nothing; a changed setting rewrites only its file
// and restarts the node; nothing is reinstalled. Ownership (lib/host-ownership.ts): a host
// with a RabbitMQ this stack did not install is refused unless ssh.adoptExisting; delete
// removes only what this resource installed and still owns (a replacement on the same box
// has taken it over), never autoremoves, and fails with the host named when apt fails.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { consented, refusal } from "../../lib/definitions-plan";
import { planUpgrade } from "../../lib/upgrade-plan";
import * as crypto from "crypto";
import { unwrapSecrets } from "../../lib/secrets";
import { EarlierJobFailed, OneAtATime } from "../../lib/one-at-a-time";
import { engineWarn } from "../../lib/engine-log";
import { deleteKeepsData } from "../../lib/keep-data";
import { AptSource } from "../../lib/apt";
import { PEER_DISCOVERY } from "../../lib/node-config";
import { SshTarget, asRoot, shellQuote, sshExec, sshRun } from "../../lib/ssh";
import {
    HostNodeConfig,
    REPORT_OPEN_FILES,
    SYSTEMD_DROP_IN,
    applyLiveScript,
    writeNodeConfigScript,
} from "../../lib/host-node-config";
import {
    AdoptPolicy,
    InstallPlan,
    RemovalPlan,
    factsScript,
    parseFacts,
    parseMarker,
    planInstall,
    planRemoval,
} from "../../lib/host-ownership";

export interface RemoteRabbitmqInputs {
    ssh: SshTarget;
    aptSources: AptSource[];
    /** Pinned rabbitmq-server package version, or "" for the suite's. */
    rabbitmqVersion: string;
    plugins: string[];
    amqpPort: number;
    managementPort: number;
    memoryHighWatermark: number;
    /** The production settings and passthrough configuration (lib/host-node-config.ts). */
    nodeConfig: Omit<HostNodeConfig, "memoryHighWatermark">;
    erlangCookie: string;
    keepData: boolean;
    /** The stack's name: its delete also reads the stack's config for keepData (lib/keep-data.ts). Not a change to the host. */
    stack?: string;
    /** The stack's owner id (lib/ownership.ts), written to /etc/burrow/owner. */
    owner: string;
    /** A RabbitMQ on the host that this stack did not install: refused (false), adopted (true), or adopted and purged on destroy ("purge"). */
    adoptExisting: AdoptPolicy;
    /** Listen on the host's loopback only (clients come through SSH tunnels). */
    loopbackOnly: boolean;
    /**
     * A node of a cluster on SSH hosts (null: a single broker). The hosts are installed at the
     * same time; at its first boot the node joins the nodes of the hosts before it (`earlier`,
     * whose names this provider resolves on those hosts), by RabbitMQ's classic-config peer
     * discovery, once the first of them runs. On delete it is forgotten through `forgetVia`
     * (host 1; null for host 1 itself), unless its data is kept.
     */
    cluster: null | {
        /** "rabbit@<short name>"; "" = rabbit@ the host's `hostname -s`. */
        nodeName: string;
        earlier: Array<{ ssh: SshTarget; nodeName: string }>;
        forgetVia: SshTarget | null;
    };
    /** Consent to lose data (burrow:allowDataLoss): "node <name>" allows renaming that node. Not a reason to change anything. */
    allowDataLoss?: string[];
}

export interface RemoteRabbitmqOutputs extends RemoteRabbitmqInputs {
    /** This resource's install on the host (in /etc/burrow/owner); undefined in a state written before markers. */
    installId?: string;
    /** The RabbitMQ was on the host before burrow and adopted (ssh.adoptExisting). */
    adopted?: boolean;
    /** Changes when the node is (re)installed or restarted with new settings. */
    nodeId: string;
    /** The RabbitMQ node name in a cluster ("" for a single broker). */
    node: string;
    rabbitmqVersion: string;
    installedRabbitmqVersion: string;
    installedErlangVersion: string;
    /** The node's open-file limit as /proc/<pid>/limits shows it (0: not read; absent in older states). */
    openFiles?: number;
}

const q = shellQuote;

/** How an install is made: this resource's install id, and how it relates to what the host had (lib/host-ownership.ts). */
export interface InstallAs extends InstallPlan {
    installId: string;
}

/** Files an adoption saves and destroy puts back: the foreign node's configuration, cookie and marker, and burrow-named apt entries. */
const ADOPTED_FILES = [
    "etc/rabbitmq/rabbitmq.conf",
    "etc/rabbitmq/enabled_plugins",
    "etc/rabbitmq/rabbitmq-env.conf",
    // What burrow's production settings write (lib/host-node-config.ts).
    "etc/rabbitmq/conf.d/90-burrow.conf",
    "etc/rabbitmq/advanced.config",
    "etc/rabbitmq/burrow-env.conf",
    "etc/default/rabbitmq-server",
    "etc/systemd/system/rabbitmq-server.service.d/burrow.conf",
    "var/lib/rabbitmq/.erlang.cookie",
    "etc/burrow/owner",
    "etc/burrow/packages",
    "etc/burrow/apt-entries",
    "etc/apt/sources.list.d/burrow-*.list",
    "etc/apt/keyrings/burrow-*.asc",
];

/** How long apt waits for another apt/dpkg (unattended-upgrades, an operator) to release its lock. */
export const APT_LOCK_TIMEOUT_S = 30;

/**
 * The install script; sent on stdin (it holds the cookie), run with bash as root. `peers`: a
 * cluster node's earlier nodes by name, host 1's first (resolvePeers).
 */
export function installScript(i: RemoteRabbitmqInputs, as: InstallAs, peers: string[] = []): string {
    const conf = [
        `listeners.tcp.default = ${i.loopbackOnly ? "127.0.0.1:" : ""}${i.amqpPort}`,
        `management.tcp.port = ${i.managementPort}`,
        ...(i.loopbackOnly ? [`management.tcp.ip = 127.0.0.1`] : []),
        `loopback_users.guest = true`,
        ``,
    ].join("\n");
    // The watermark, disk limit, memory, limits and the user's own configuration: lib/host-node-config.ts.
    const nodeConfig: HostNodeConfig = { ...i.nodeConfig, memoryHighWatermark: i.memoryHighWatermark };
    const sources = i.aptSources.map((s) => {
        const keyFile = `/etc/apt/keyrings/burrow-${s.name}.asc`;
        const listFile = `/etc/apt/sources.list.d/burrow-${s.name}.list`;
        const signed = s.key ? `[signed-by=${keyFile}] ` : "";
        return [
            s.key ? `mkdir -p /etc/apt/keyrings && printf '%s\\n' ${q(s.key.trim())} > ${keyFile}` : `rm -f ${keyFile}`,
            `printf '%s\\n' ${q(`deb ${signed}${s.uri} ${s.suite} ${s.components.join(" ")}`)} > ${listFile}`,
            `printf '%s\\n' ${q(listFile)}${s.key ? ` ${q(keyFile)}` : ""} >> /etc/burrow/apt-entries`,
        ].join("\n");
    });
    const pkg = i.rabbitmqVersion ? `rabbitmq-server=${i.rabbitmqVersion}` : "rabbitmq-server";
    const c = i.cluster;
    // The node's name: a cluster fixes it; a single broker keeps the one it has (a cluster's
    // NODENAME stays when ssh.hosts turns back into ssh.host), else RabbitMQ's default.
    const nodeName = c
        ? `node=${q(c.nodeName)}
[ -n "$node" ] || node="rabbit@$(hostname -s)"
for peer in ${peers.map(q).join(" ")}; do
  [ "$peer" = "$node" ] && { echo "node name $node is already taken by an earlier host of burrow:ssh.hosts; give each host its own hostname or set ssh.hosts[i].nodeName" >&2; exit 12; }
done
# Erlang resolves the part after @ at boot (else the node never starts and the init script waits 10 min).
getent hosts "\${node#*@}" >/dev/null || { echo "node name $node: host name \${node#*@} does not resolve on host $(hostname) (burrow:ssh.hosts[i].nodeName); add it to /etc/hosts or DNS, or use rabbit@$(hostname -s)" >&2; exit 12; }
`
        : `node=$(sed -n 's/^NODENAME=//p' /etc/rabbitmq/rabbitmq-env.conf 2>/dev/null || true)
node=\${node:-rabbit@$(hostname -s)}
`;
    // Cluster: peer discovery by classic config, listing host 1's node and this one (host 1:
    // itself). Read at a node's first boot only: a node with data keeps the lines it booted
    // with, so a new list (nodes 1..i before parallel boot) is never a reason to restart it.
    // (PEER_DISCOVERY: a new node waits in RabbitMQ's retries until host 1's node answers.)
    const confWrite = c
        ? `{ cat <<'CONF'
${conf}CONF
if [ -d "/var/lib/rabbitmq/mnesia/$node" ] && grep -q '^cluster_formation\\.' /etc/rabbitmq/rabbitmq.conf 2>/dev/null; then
  grep '^cluster_formation\\.' /etc/rabbitmq/rabbitmq.conf
else
  cat <<'CONF'
${PEER_DISCOVERY.join("\n")}
${peers.length > 0 ? `cluster_formation.classic_config.nodes.1 = ${peers[0]}\n` : ""}CONF
  printf 'cluster_formation.classic_config.nodes.%s = %s\\n' ${peers.length > 0 ? 2 : 1} "$node"
fi
} | write /etc/rabbitmq/rabbitmq.conf 0644
printf 'NODENAME=%s\\n' "$node" | write /etc/rabbitmq/rabbitmq-env.conf 0644`
        : `write /etc/rabbitmq/rabbitmq.conf 0644 <<'CONF'
${conf}CONF`;
    // The hosts are installed at the same time, and their nodes boot at the same time. RabbitMQ's
    // peer discovery (3.13 and later) retries while fewer than two of the nodes a node lists
    // answer, then joins the one in the largest cluster, then the one whose Erlang VM started
    // first: a node's first boot starts once host 1's node is registered with epmd (its VM
    // runs), which makes host 1's node the older of the two it lists, the one it joins. Before
    // 3.13 a node that finds no peer running boots alone: there the wait is for host 1's whole
    // boot. Never two clusters of nodes that started together. A running node does not wait;
    // a stopped node with data waits a minute at most, and then starts anyway.
    const firstBootWait =
        c && peers.length > 0
            ? `if ! running; then
  first=${q(peers[0])}
  # A first boot waits until host 1's VM runs; a node with data only a minute (a first boot
  # that failed halfway left files, and the node may still run peer discovery; a host 1 that
  # is down for good does not keep it from starting).
  if [ -d "/var/lib/rabbitmq/mnesia/$node" ]; then fresh=0; limit=60; else fresh=1; limit=600; fi
  step "wait until $first runs (this node joins its cluster)"
  deadline=$((SECONDS + limit))
  late() { echo "node $node did not start: its first boot joins $first, which $1 (host 1 of burrow:ssh.hosts; this host must resolve \${first#*@} and reach its ports 4369 and 25672)" >&2; exit 13; }
  # Cheap until its VM runs: epmd's NAMES request (port 4369), answered with the port then
  # "name <name> at port <n>" lines.
  until names=$(exec 3<>"/dev/tcp/\${first#*@}/4369" && printf '\\000\\001n' >&3 && tail -c +5 <&3) 2>/dev/null &&
      grep -q "^name \${first%%@*} at port" <<<"$names"; do
    if [ $SECONDS -ge $deadline ]; then
      [ $fresh = 1 ] && late "had not started after $limit s"
      step "start without $first, not running after $limit s: this node has data and finds its cluster itself"
      break
    fi
    sleep 0.5
  done
  if [ $fresh = 1 ]; then
    version=$(dpkg-query -W -f='\${Version}' rabbitmq-server)
    # RabbitMQ compares the VMs' start times by each host's own clock: from 3.13 this node
    # starts once this host's clock is past host 1's node's start, by its clock (hosts out of
    # step). Before 3.13, or with host 1's start time unreadable: once host 1 has booted.
    t=
    if dpkg --compare-versions "\${version#*:}" ge 3.13; then
      t=$(rabbitmqctl -q -n "$first" eval 'erlang:convert_time_unit(erlang:system_info(start_time) + erlang:time_offset(), native, microsecond).' 2>/dev/null </dev/null || true)
    fi
    if [[ "$t" =~ ^[0-9]+$ ]]; then
      until [ "$(date +%s%6N)" -gt $((t + 500000)) ]; do
        [ $SECONDS -ge $deadline ] && late "started ahead of this host's clock by more than it waited"
        sleep 0.2
      done
    else
      out=$(rabbitmqctl -q -n "$first" await_startup --timeout $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)) 2>&1 </dev/null) ||
        late "did not boot: $out"
    fi
  fi
fi
`
            : "";
    // A node that could not reach its peers at first boot forms a cluster of its own: say so.
    const clusterWait =
        c && peers.length > 0
            ? `step "wait until the node is in the cluster of ${peers[0]}"
for i in $(seq 1 60); do
  rabbitmqctl -q cluster_status --formatter json 2>/dev/null | grep -qF ${q(`"${peers[0]}"`)} && break
  [ "$i" = 60 ] && { echo "node $node is running but not in the cluster of ${peers[0]}: the hosts must resolve each other's names and reach ports 4369 and 25672; see /var/log/rabbitmq/" >&2; exit 13; }
  sleep 1
done
`
            : "";
    // Adopting: save what the foreign install had, once, for destroy to put back.
    const adoptBackup =
        as.origin === "adopt"
            ? `if [ ! -e /etc/burrow/adopted.tar ]; then
  (cd / && for f in ${ADOPTED_FILES.join(" ")}; do [ -e "$f" ] && echo "$f"; done) > /etc/burrow/adopted.list || true
  # Readable by root only: it holds the adopted node's Erlang cookie.
  (umask 077 && tar -C / -cpf /etc/burrow/adopted.tar.new -T /etc/burrow/adopted.list) && mv -f /etc/burrow/adopted.tar.new /etc/burrow/adopted.tar
fi
`
            : "";
    const flag = (b: boolean) => (b ? "1" : "0");
    // lastpipe: "printf ... | write FILE" runs write in this shell, so its changed=1 counts
    // (without it a changed cookie, plugin list or cluster config never restarted the node).
    return `set -euo pipefail
shopt -s lastpipe
step() { echo "burrow-step: $*" >&2; }
step "check the host is Debian-like"
[ -f /etc/debian_version ] || { echo "not a Debian-like host (no /etc/debian_version): burrow installs with apt" >&2; exit 10; }
${nodeName}export DEBIAN_FRONTEND=noninteractive
step "mark the host as this stack's (/etc/burrow/owner)"
mkdir -p /etc/burrow
${adoptBackup}${as.origin === "ours" ? "touch /etc/burrow/packages" : ": > /etc/burrow/packages"}
printf 'owner=%s\\ninstall=%s\\nadopted=%s\\nadoptedRunning=%s\\nnode=%s\\n' ${q(i.owner)} ${q(as.installId)} ${flag(as.adopted)} ${flag(as.adoptedRunning)} "$node" > /etc/burrow/owner.new
mv -f /etc/burrow/owner.new /etc/burrow/owner
step "apt repositories"
for f in /etc/apt/sources.list.d/burrow-*.list; do [ -e "$f" ] && rm -f "$f"; done
: > /etc/burrow/apt-entries
${sources.join("\n")}
step "install erlang and rabbitmq-server"
installed() { dpkg-query -W -f='\${db:Status-Abbrev} \${Package}\\n' | awk '$1 ~ /^.[^nc]/ {print $2}' | sort -u; }
if ! dpkg-query -W -f='\${Status} \${Version}\\n' rabbitmq-server 2>/dev/null | grep -q "install ok installed${i.rabbitmqVersion ? ` ${i.rabbitmqVersion}` : ""}"; then
  apt-get update -qq
  # What was there before (kept across a failed attempt): burrow owns only what it adds.
  [ -s /etc/burrow/packages-before ] || installed > /etc/burrow/packages-before
  # The service is started below, once configured.
  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_S} --no-install-recommends erlang-nox ${pkg}
  rm -f /usr/sbin/policy-rc.d
  { cat /etc/burrow/packages; installed | comm -13 /etc/burrow/packages-before -; } | sort -u > /etc/burrow/packages.new
  mv -f /etc/burrow/packages.new /etc/burrow/packages
  rm -f /etc/burrow/packages-before
fi
step "configure"
# The node running now, by the name it was started with (a renamed node is stopped by its old name).
prev=$(sed -n 's/^NODENAME=//p' /etc/rabbitmq/rabbitmq-env.conf 2>/dev/null || true)
prev=\${prev:-rabbit@$(hostname -s)}
changed=0
staged=()
write() { # write FILE MODE: stdin to FILE.burrow-new, staged if it differs from FILE
  cat > "$1.burrow-new"
  if cmp -s "$1.burrow-new" "$1"; then rm -f "$1.burrow-new"; return; fi
  chown rabbitmq:rabbitmq "$1.burrow-new" && chmod "$2" "$1.burrow-new"
  staged+=("$1"); changed=1
}
${confWrite}
${writeNodeConfigScript(nodeConfig, i.loopbackOnly)}printf '[%s].\\n' ${q(i.plugins.join(","))} | write /etc/rabbitmq/enabled_plugins 0644
printf '%s' ${q(i.erlangCookie)} | write /var/lib/rabbitmq/.erlang.cookie 0400
# A running node is stopped with the files it started with (its name, its cookie: a new cookie
# could not reach it), then the new files go in.
running() { pgrep -u rabbitmq -f beam.smp >/dev/null 2>&1; }
if [ $changed = 1 ] && running; then
  step "stop the node to apply the new configuration"
  if [ -d /run/systemd/system ]; then systemctl stop rabbitmq-server || true; fi
  if running; then rabbitmqctl -q -n "$prev" stop >/dev/null 2>&1 || true; fi
  for i in $(seq 1 60); do
    running || break
    # SIGTERM makes the Erlang VM shut down cleanly.
    [ "$i" = 30 ] && pkill -TERM -u rabbitmq -f beam.smp
    [ "$i" = 60 ] && { echo "the running RabbitMQ node $prev did not stop within 60 s; stop it and run up again" >&2; exit 14; }
    sleep 1
  done
  rm -f /var/run/rabbitmq/pid
fi
for f in "\${staged[@]}"; do mv -f "$f.burrow-new" "$f"; done
${firstBootWait}step "start the service"
if [ -d /run/systemd/system ]; then
  systemctl enable --quiet rabbitmq-server
  systemctl is-active --quiet rabbitmq-server || systemctl start rabbitmq-server
else
  rabbitmqctl -q status >/dev/null 2>&1 || /etc/init.d/rabbitmq-server start >/dev/null || {
    echo "RabbitMQ did not start: $(grep -h 'ERROR' /var/log/rabbitmq/startup_err 2>/dev/null | tail -1); see /var/log/rabbitmq/" >&2
    exit 11
  }
fi
${applyLiveScript(nodeConfig)}step "wait until the node is ready"
# RabbitMQ's staged health checks: the node runs, has no resource alarm, its listeners accept
# connections. check_port_listener instead of check_port_connectivity for a loopback-only
# listener (ssh.tunnel): the latter dials the host name, which such a listener does not answer.
stages="check_running check_local_alarms ${i.loopbackOnly ? `check_port_listener:${i.amqpPort} check_port_listener:${i.managementPort}` : "check_port_connectivity"}"
# A deadline, not a count of rounds: each round starts a CLI VM per stage (seconds on a busy host).
deadline=$((SECONDS + 120))
while :; do
  ok=1
  for stage in $stages; do
    if ! out=$(rabbitmq-diagnostics -q $(echo "$stage" | tr ':' ' ') 2>&1 </dev/null); then ok=0; break; fi
  done
  [ $ok = 1 ] && break
  [ $SECONDS -ge $deadline ] && { echo "RabbitMQ did not become ready within 120 s: $stage failed: $out; see /var/log/rabbitmq/" >&2; exit 11; }
  sleep 1
done
${clusterWait}${REPORT_OPEN_FILES}echo "changed=$changed"
${
    c
        ? `echo "node=$node"
`
        : ""
}dpkg-query -W -f='\${Package}=\${Version}\\n' rabbitmq-server erlang-base
`;
}

/** The start command of the service, systemd or the package's init script. */
const START_SERVICE = `if [ -d /run/systemd/system ]; then systemctl start rabbitmq-server; else /etc/init.d/rabbitmq-server start >/dev/null; fi`;

/**
 * The remove script for a plan of kind "remove": stop the node, remove (or with keepData only
 * uninstall) exactly the planned packages after apt's own simulation confirms it takes
 * nothing else, and fail with the host named if apt fails (a held dpkg lock, ...).
 */
export function uninstallScript(installId: string | undefined, plan: Extract<RemovalPlan, { kind: "remove" }>): string {
    const pkgs = plan.packages.map(q).join(" ");
    const verb = plan.purge ? "purge" : "remove";
    return `set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
step() { echo "burrow-step: $*" >&2; }
fail() { echo "burrow: $* on host $(hostname); nothing more was removed: run destroy again once that is fixed" >&2; exit 16; }
${
    installId
        ? `# A replacement on this box may have taken it over since the plan was made.
grep -qxF ${q(`install=${installId}`)} /etc/burrow/owner 2>/dev/null || { echo "burrow: another install owns this host now; nothing removed" >&2; exit 0; }
`
        : ""
}step "stop RabbitMQ"
if [ -d /run/systemd/system ]; then systemctl stop rabbitmq-server 2>/dev/null || true; else /etc/init.d/rabbitmq-server stop >/dev/null 2>&1 || true; fi
pkill -u rabbitmq 2>/dev/null || true
for i in $(seq 1 30); do pgrep -u rabbitmq >/dev/null 2>&1 || break; sleep 1; done
${
    plan.packages.length
        ? `step "check that removing burrow's packages takes nothing else"
extra=$( { apt-get -s purge ${pkgs} 2>/dev/null || true; } | awk '$1 == "Purg" {print $2}' | sed 's/:.*//' | sort -u | comm -23 - <(printf '%s\\n' ${pkgs} | sort -u))
[ -z "$extra" ] || fail "removing burrow's packages would also remove $(echo $extra), which burrow did not install"
step "${verb} burrow's packages"
apt-get ${verb} -y -qq -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_S} ${pkgs} || fail "apt-get ${verb} failed (exit $?; is another apt or dpkg running?)"
`
        : ""
}${
        plan.purge
            ? `step "remove the broker's data and configuration"
rm -rf /var/lib/rabbitmq /etc/rabbitmq /var/log/rabbitmq
`
            : ""
    }${
        plan.packages.length
            ? `# The service's limits drop-in (lib/host-node-config.ts) goes with the service.
rm -f ${SYSTEMD_DROP_IN}; rmdir "$(dirname ${SYSTEMD_DROP_IN})" 2>/dev/null || true
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
`
            : ""
    }step "remove burrow's apt entries"
aptChanged=0
if [ -s /etc/burrow/apt-entries ]; then xargs -r rm -f < /etc/burrow/apt-entries; aptChanged=1; fi
${
    plan.restore
        ? `step "put back the configuration the adopted RabbitMQ had"
running=$(sed -n 's/^adoptedRunning=//p' /etc/burrow/owner)
rm -f ${ADOPTED_FILES.filter((f) => !f.startsWith("etc/burrow/"))
              .map((f) => `/${f}`)
              .join(" ")}
tar=$(mktemp); mv -f /etc/burrow/adopted.tar "$tar"; rm -rf /etc/burrow
tar -C / -xpf "$tar"; rm -f "$tar"
if [ "$running" = 1 ]; then ${START_SERVICE} || echo "burrow: the adopted RabbitMQ did not start again; see /var/log/rabbitmq/" >&2; fi
`
        : plan.keepMarker
          ? `step "keep the marker with the data, for this stack's next up"
printf '%s\\n' ${plan.kept.map(q).join(" ")} | grep . > /etc/burrow/packages || true
rm -f /etc/burrow/apt-entries
`
          : `rm -rf /etc/burrow
`
}if [ $aptChanged = 1 ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
`;
}

/** Reads the host's facts (read-only); with `installed`, every installed package too (for delete). */
async function hostFacts(t: SshTarget, installed: boolean) {
    const r = await sshRun(t, "reading what is installed", asRoot(t, "bash -s"), {
        input: factsScript(installed),
        timeoutMs: 120_000,
    });
    return parseFacts(r.stdout);
}

/** The install id in /etc/burrow/owner at an address ("" when there is none or the host cannot be reached). */
async function installIdAt(t: SshTarget): Promise<string> {
    try {
        const r = await sshExec(t, asRoot(t, "cat /etc/burrow/owner"), { timeoutMs: 20_000 });
        return r.code === 0 ? (parseMarker(r.stdout)?.install ?? "") : "";
    } catch {
        return "";
    }
}

/** Runs `script` as root on the host; a failure names the host, the step it stopped at and the script's own message. */
async function runScript(t: SshTarget, what: string, script: string, timeoutMs: number) {
    return sshRun(t, what, asRoot(t, "bash -s"), { input: script, timeoutMs }).catch((e: Error) => {
        const steps = [...e.message.matchAll(/burrow-step: (.*)/g)].map((m) => m[1]);
        throw new Error(
            steps.length
                ? `${e.message.split("\n")[0].replace(/:$/, "")} at step "${steps.pop()}":\n${e.message
                      .split("\n")
                      .filter((l) => !l.startsWith("burrow-step:"))
                      .slice(1)
                      .join("\n")}`
                : e.message,
        );
    });
}

/** Installs or re-applies as `installId`; a foreign RabbitMQ is refused here, before anything changes on the host. */
async function install(
    i: RemoteRabbitmqInputs,
    installId: string,
    claim: boolean,
): Promise<{
    changed: boolean;
    node: string;
    rabbitmq: string;
    erlang: string;
    adopted: boolean;
    openFiles: number;
}> {
    const facts = await hostFacts(i.ssh, false);
    const plan = planInstall(
        facts,
        { owner: i.owner, installId, adoptExisting: i.adoptExisting ?? false, claim },
        i.ssh,
    );
    const peers = await resolvePeers(i);
    const r = await runScript(
        i.ssh,
        "installing RabbitMQ",
        installScript(i, { ...plan, installId }, peers),
        20 * 60_000,
    );
    const lines = r.stdout.trim().split("\n");
    const v = Object.fromEntries(
        lines.filter((l) => l.includes("=") && !l.startsWith("changed=")).map((l) => l.split("=") as [string, string]),
    );
    return {
        changed: lines.includes("changed=1"),
        node: v["node"] ?? "",
        rabbitmq: v["rabbitmq-server"] ?? "",
        erlang: v["erlang-base"] ?? "",
        adopted: plan.adopted,
        openFiles: Number(v["openfiles"]) || 0,
    };
}

/** A cluster node's earlier nodes by name: each given name, else rabbit@ that host's `hostname -s`. */
async function resolvePeers(i: RemoteRabbitmqInputs): Promise<string[]> {
    return Promise.all(
        (i.cluster?.earlier ?? []).map(async (e) => {
            if (e.nodeName) return e.nodeName;
            const r = await sshExec(e.ssh, "hostname -s", { timeoutMs: 30_000 }).catch((err: Error) => {
                throw new Error(
                    `${i.ssh.host}: could not read the node name of the earlier cluster host ${e.ssh.host}:${e.ssh.port} (its hostname -s): ${err.message}`,
                    { cause: err },
                );
            });
            return `rabbit@${r.stdout.trim()}`;
        }),
    );
}

/** A cluster's updates (keyed by host 1), one node at a time across the up: a restart of each in turn. */
const updates = new OneAtATime();
const clusterKey = (i: RemoteRabbitmqInputs) => {
    const first = i.cluster?.forgetVia ?? i.ssh;
    return `${first.host}:${first.port}`;
};

/** Forgets a node that no longer runs under this name (scale-down, or a rename), through host 1; best effort. */
async function forget(via: SshTarget | null | undefined, node: string) {
    if (!via || !node) return;
    await sshExec(via, asRoot(via, `rabbitmqctl -q forget_cluster_node ${q(node)}`), { timeoutMs: 120_000 }).catch(
        () => undefined,
    );
}

/**
 * Whether news.ssh reaches the box this resource installed (its install id is in the marker
 * there): then a new address is the same host (an IP turned into a DNS name, another port
 * forwarded to the same sshd), an in-place update. /etc/machine-id cannot tell: images and
 * cloned VMs share it.
 */
async function sameInstallAt(olds: RemoteRabbitmqOutputs, news: RemoteRabbitmqInputs): Promise<boolean> {
    return olds.installId !== undefined && (await installIdAt(news.ssh)) === olds.installId;
}

/** Inputs that are not the host's install: consent, and the stack's name a delete reads config by. */
const NOT_THE_HOST = ["allowDataLoss", "stack"];

export const remoteRabbitmqProvider: pulumi.dynamic.ResourceProvider<RemoteRabbitmqInputs, RemoteRabbitmqOutputs> =
    userFacingProvider({
        async create(inputs) {
            const installId = crypto.randomUUID();
            const r = await install(inputs, installId, false);
            return {
                id: `${inputs.ssh.host}:${inputs.ssh.port}`,
                outs: {
                    ...inputs,
                    installId,
                    adopted: r.adopted,
                    nodeId: crypto.randomUUID(),
                    node: r.node,
                    installedRabbitmqVersion: r.rabbitmq,
                    installedErlangVersion: r.erlang,
                    openFiles: r.openFiles,
                },
            };
        },
        async diff(_id, wrappedOlds, news) {
            const olds = unwrapSecrets(wrappedOlds);
            const changed = changedInputs(olds, news, NOT_THE_HOST);
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
            const replaces: string[] = [];
            // A node whose name changes is a new node (its data belongs to the old name). Joining or
            // leaving cluster mode under the same name is not.
            if ((olds.cluster?.nodeName ?? "") !== (news.cluster?.nodeName ?? "")) {
                // The old name's queues and messages stay on disk where the new node never looks:
                // that loses them, unless the user consented.
                const from = olds.node || olds.cluster?.nodeName || "";
                const to = news.cluster?.nodeName || (olds.cluster?.nodeName ? "" : from);
                if (from && to !== from) {
                    const loss = {
                        consent: `node ${from}`,
                        message: `node ${from} on ${news.ssh.host}:${news.ssh.port}: renamed${to ? ` to ${to}` : ""}: the new node starts empty; the queues and messages of ${from} stay on disk where no node reads them`,
                    };
                    if (!consented(loss, news.allowDataLoss ?? []))
                        throw new Error(refusal([loss], news.allowDataLoss));
                    await engineWarn(`${loss.message} (allowed by burrow:allowDataLoss)`);
                }
                replaces.push("cluster");
            }
            // Another address: another host, unless the marker there is this resource's own.
            const moved = olds.ssh.host !== news.ssh.host || olds.ssh.port !== news.ssh.port;
            if (moved && !(await sameInstallAt(olds, news))) replaces.push("ssh");
            // A state from before burrow recorded the stack (its delete reads the stack's config for
            // keepData): recorded by an update that does not touch the host.
            const recordStack = olds.stack === undefined && news.stack !== undefined;
            return { changes: changed.length > 0 || recordStack, replaces };
        },
        async update(_id, olds, news) {
            // Only what is not the host's changed (the stack's name, consents): recorded, nothing done there.
            if (changedInputs(olds, news, NOT_THE_HOST).length === 0 && olds.installId !== undefined)
                return { outs: { ...olds, stack: news.stack, allowDataLoss: news.allowDataLoss } };
            // A state from before markers: its install is claimed as this resource's.
            const installId = olds.installId ?? crypto.randomUUID();
            const claim = olds.installId === undefined;
            // A cluster's nodes restart one at a time, and not at all after one failed.
            const r = news.cluster
                ? await updates
                      .run(clusterKey(news), news.ssh.host, () => install(news, installId, claim))
                      .catch((e: Error) => {
                          if (!(e instanceof EarlierJobFailed)) throw e;
                          throw new Error(
                              `${news.ssh.host}:${news.ssh.port} was not updated, nothing was done to it: a cluster's hosts are updated one at a time, ` +
                                  `and the update of ${e.failed} failed first (its error is above); run up again once that is fixed`,
                          );
                      })
                : await install(news, installId, claim);
            return {
                outs: {
                    ...news,
                    installId,
                    adopted: r.adopted,
                    nodeId: r.changed ? crypto.randomUUID() : olds.nodeId,
                    node: r.node,
                    installedRabbitmqVersion: r.rabbitmq,
                    installedErlangVersion: r.erlang,
                    openFiles: r.openFiles,
                },
            };
        },
        async delete(_id, props) {
            const facts = await hostFacts(props.ssh, true);
            // keepData as the last up recorded it, or as the stack's config says now.
            const kept = deleteKeepsData(props.keepData, props.stack);
            const plan = planRemoval(facts, {
                installId: props.installId,
                keepData: kept.keep,
                adoptExisting: props.adoptExisting ?? false,
            });
            if (plan.kind === "superseded") {
                // Replaced on the same box (create-before-delete): the new install runs there. Only a
                // node name that is gone leaves the cluster.
                if (props.node && props.node !== plan.currentNode) await forget(props.cluster?.forgetVia, props.node);
                return;
            }
            if (plan.kind !== "remove") return;
            await runScript(props.ssh, "removing RabbitMQ", uninstallScript(props.installId, plan), 10 * 60_000);
            if (kept.byConfig)
                await engineWarn(
                    `${props.ssh.host}:${props.ssh.port}: kept /var/lib/rabbitmq with the node's data: ${kept.byConfig} (the last up recorded keepData false)`,
                );
            // Scaling a cluster down: with this node stopped, the remaining nodes forget it
            // (best effort, like the Docker cluster: on destroy host 1 goes too). A node whose
            // data is kept stays a member, so that a destroyed cluster's kept nodes come back as
            // one cluster (a forgotten node refuses to boot on its data).
            if (!kept.keep) await forget(props.cluster?.forgetVia, props.node);
        },
    });

export class RemoteRabbitmq extends DynamicResource {
    declare readonly nodeId: pulumi.Output<string>;
    declare readonly node: pulumi.Output<string>;
    declare readonly installedRabbitmqVersion: pulumi.Output<string>;
    declare readonly installedErlangVersion: pulumi.Output<string>;
    declare readonly openFiles: pulumi.Output<number>;
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
                installId: undefined,
                adopted: undefined,
                nodeId: undefined,
                node: undefined,
                installedRabbitmqVersion: undefined,
                installedErlangVersion: undefined,
                openFiles: undefined,
            },
            // The user's configuration may hold passwords.
            { ...opts, additionalSecretOutputs: ["ssh", "erlangCookie", "cluster", "nodeConfig"] },
        );
    }
}
