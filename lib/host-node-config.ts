// The SSH target's production settings and passthrough configuration, as two pieces of the
// install script (components/providers/remote-rabbitmq.ts): one writes the files, the other
// applies what a running node takes without a restart and reports the open-file limit the
// node really has. Kept apart from the install script's own steps.
//
// Files: /etc/rabbitmq/conf.d/90-burrow.conf (read after rabbitmq.conf: memory, watermark,
// disk limit, partition handling, the Prometheus listener, the user's own keys),
// /etc/rabbitmq/advanced.config, /etc/rabbitmq/burrow-env.conf (the rabbitmq-env.conf
// entries as RABBITMQ_* variables of the service), and the open-file limit: a systemd drop-in
// (LimitNOFILE) or /etc/default/rabbitmq-server, which Debian's init script sources.
import { CONFIG_CHECK, DiskFreeLimit, diskFreeLimitArgs, float, liveConf } from "./node-config";
import { shellQuote as q } from "./ssh";

/** The node's settings an SSH host gets besides the install script's own (burrow:memoryHighWatermark is one of those). */
export interface HostNodeConfig {
    /** The Prometheus listener's port on the host; null: metrics off. */
    metricsPort: number | null;
    openFileLimit: number;
    memoryHighWatermark: number;
    diskFreeLimit: DiskFreeLimit;
    /** "" for a single node. */
    partitionHandling: string;
    rabbitmqConf: Record<string, string>;
    advancedConfig: string;
    envConfig: Record<string, string>;
}

export const CONF_D_FILE = "/etc/rabbitmq/conf.d/90-burrow.conf";
export const ENV_FILE = "/etc/rabbitmq/burrow-env.conf";
export const SYSTEMD_DROP_IN = "/etc/systemd/system/rabbitmq-server.service.d/burrow.conf";
/** The last line of an advanced.config burrow wrote: one without it is never removed. */
const ADVANCED_MARK = "%% burrow: from burrow:advancedConfig";

const LIVE_LINE = /^(vm_memory_high_watermark|disk_free_limit)\./;

/** conf.d/90-burrow.conf without its first line (the memory the host has, measured by the script). */
export function hostConfBody(c: HostNodeConfig, loopbackOnly: boolean): string {
    const lines = [
        liveConf(c.memoryHighWatermark, c.diskFreeLimit),
        ...(c.partitionHandling ? [`cluster_partition_handling = ${c.partitionHandling}`] : []),
        ...(c.metricsPort === null
            ? []
            : [`prometheus.tcp.port = ${c.metricsPort}`, ...(loopbackOnly ? ["prometheus.tcp.ip = 127.0.0.1"] : [])]),
        ...Object.entries(c.rabbitmqConf).map(([k, v]) => `${k} = ${v}`),
    ];
    return lines.join("\n") + "\n";
}

/**
 * Sets `mem` to the memory the host has: MemTotal, or the tightest memory limit of the
 * cgroups above PID 1 where lower (cgroup v2 memory.max, v1 memory.limit_in_bytes). From PID
 * 1's cgroup up to the root of the tree the host sees: a container's own tree (its limit at
 * the root), or, for systemd sharing the machine's cgroup namespace, the machine's tree, where
 * the container's limit is on an ancestor (/docker/<id>/init.scope: the root there is the
 * machine's, without a limit). Not the session's own cgroup: an SSH session's slice is not the
 * broker's. `paths` for the unit tests.
 */
export function hostMemoryScript(paths = { proc: "/proc", cgroup: "/sys/fs/cgroup" }): string {
    // The shell multiplies (64 bits): mawk 1.3.4 20200120 (Debian 12) prints %d above 2^31 - 1 as 2147483647.
    return `mem=$(($(awk '/^MemTotal:/ {print $2}' ${paths.proc}/meminfo) * 1024))
cglimits() { # cglimits TREE PATH FILE: FILE of TREE/PATH and each ancestor up to TREE
  local d="$1\${2%/}"
  while :; do
    if [ -r "$d/$3" ]; then l=$(cat "$d/$3"); if [ "$l" != max ] && [ "$l" -lt "$mem" ]; then mem=$l; fi; fi
    [ "$d" = "$1" ] && break
    d=\${d%/*}
    case "$d" in "$1"*) ;; *) break ;; esac
  done
}
cglimits ${paths.cgroup} "$(awk -F: '$1 == "0" {print $3}' ${paths.proc}/1/cgroup 2>/dev/null)" memory.max
cglimits ${paths.cgroup}/memory "$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' ${paths.proc}/1/cgroup 2>/dev/null)" memory.limit_in_bytes
`;
}

/**
 * Writes the files (setting the install script's `changed=1` when the node must restart for
 * them, `live=1` when only the watermark or disk limit changed). A new configuration with
 * keys of the user's is first shown to RabbitMQ's own config loader; a refused one stops the
 * script before any file is touched (exit 15), so the running node keeps going.
 */
export function writeNodeConfigScript(c: HostNodeConfig, loopbackOnly: boolean): string {
    const env = Object.entries(c.envConfig)
        .map(([k, v]) => `RABBITMQ_${k}=${q(v)}\n`)
        .join("");
    const passthrough = Object.keys(c.rabbitmqConf).length > 0 || c.advancedConfig !== "";
    // The mark goes last, so RabbitMQ's line numbers are the user's.
    const advanced = c.advancedConfig ? `${c.advancedConfig}${ADVANCED_MARK}\n` : "";
    return `step "production settings and configuration (burrow:openFileLimit, diskFreeLimit, rabbitmqConf, advancedConfig, envConfig)"
live=0
# RabbitMQ is told the memory it really has: the host's, or its cgroup's limit where lower.
${hostMemoryScript()}new=$(mktemp -d)
{ printf 'total_memory_available_override_value = %s\\n' "$mem"; printf '%s' ${q(hostConfBody(c, loopbackOnly))}; } > "$new/rabbitmq.conf"
printf '%s' ${q(advanced)} > "$new/advanced.config"
[ -s "$new/advanced.config" ] || rm -f "$new/advanced.config"
oldadv=/etc/rabbitmq/advanced.config
[ -f "$oldadv" ] && ! tail -1 "$oldadv" | grep -qxF ${q(ADVANCED_MARK)} && oldadv=/nonexistent
same() { cmp -s "$1" "$2" || { [ ! -e "$1" ] && [ ! -e "$2" ]; }; }
strip() { grep -Ev '${LIVE_LINE.source}' "$1" 2>/dev/null || true; }
if ! same "$new/rabbitmq.conf" ${CONF_D_FILE} || ! same "$new/advanced.config" "$oldadv"; then
  if ! same "$new/advanced.config" "$oldadv" || [ "$(strip "$new/rabbitmq.conf")" != "$(strip ${CONF_D_FILE})" ]; then
    ${
        passthrough
            ? `cat > "$new/check.sh" <<'CHECK'
${CONFIG_CHECK}CHECK
    # </dev/null: erl reads its standard input, which is the rest of this script.
    if ! sh "$new/check.sh" "$new" > "$new/check.out" 2>&1 </dev/null; then
      { echo "RabbitMQ's own config loader refuses the new configuration (burrow:rabbitmqConf / burrow:advancedConfig); nothing was changed, the running node keeps its configuration:"; cat "$new/check.out"; } >&2
      rm -rf "$new"
      exit 15
    fi
    `
            : ""
    }changed=1
  else
    live=1
  fi
  mkdir -p /etc/rabbitmq/conf.d
  install -m 0640 -o root -g rabbitmq "$new/rabbitmq.conf" ${CONF_D_FILE}
  if [ -f "$new/advanced.config" ]; then install -m 0640 -o root -g rabbitmq "$new/advanced.config" /etc/rabbitmq/advanced.config
  elif [ "$oldadv" = /etc/rabbitmq/advanced.config ]; then rm -f /etc/rabbitmq/advanced.config; fi
fi
printf '%s' ${q(env)} > "$new/env"
if ! cmp -s "$new/env" ${ENV_FILE}; then install -m 0640 -o root -g rabbitmq "$new/env" ${ENV_FILE}; changed=1; fi
# The open-file limit: systemd's LimitNOFILE (systemd caps it at what it may grant), or the
# init script's ulimit, capped here at the hard limit (above it \`ulimit -n\` fails, and the
# init script runs under set -e).
printf '%s\\n' '[Service]' 'LimitNOFILE=${c.openFileLimit}' 'EnvironmentFile=-${ENV_FILE}' > "$new/dropin"
cat > "$new/default" <<'DEFAULT'
# Sourced by /etc/init.d/rabbitmq-server; written by burrow (burrow:openFileLimit, burrow:envConfig).
want=${c.openFileLimit}
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
if [ -f ${ENV_FILE} ]; then set -a; . ${ENV_FILE}; set +a; fi
DEFAULT
if [ -d /run/systemd/system ]; then
  if ! cmp -s "$new/dropin" ${SYSTEMD_DROP_IN}; then
    mkdir -p "$(dirname ${SYSTEMD_DROP_IN})" && install -m 0644 "$new/dropin" ${SYSTEMD_DROP_IN}
    systemctl daemon-reload; changed=1
  fi
elif ! cmp -s "$new/default" /etc/default/rabbitmq-server; then
  install -m 0644 "$new/default" /etc/default/rabbitmq-server; changed=1
fi
rm -rf "$new"
`;
}

/**
 * Before the readiness wait, when the node kept running: the new watermark and disk limit,
 * when they were all that changed, go to the running node (the readiness wait's
 * check_local_alarms then says if they put it in an alarm).
 */
export function applyLiveScript(c: HostNodeConfig): string {
    const disk = diskFreeLimitArgs(c.diskFreeLimit).map(q).join(" ");
    return `if [ $changed = 0 ] && [ $live = 1 ]; then
  step "apply the memory watermark and disk limit to the running node"
  rabbitmqctl -q set_vm_memory_high_watermark ${float(c.memoryHighWatermark)} >/dev/null </dev/null
  rabbitmqctl -q set_disk_free_limit ${disk} >/dev/null </dev/null
fi
`;
}

/** After the readiness wait: the node's real open-file limit, read from /proc/<beam pid>/limits (what it got, not what was asked for). */
export const REPORT_OPEN_FILES = `beam=$(pgrep -u rabbitmq -f beam.smp | head -1 || true)
echo "openfiles=$(awk '/^Max open files/ {print $4}' "/proc/$beam/limits" 2>/dev/null || true)"
`;
