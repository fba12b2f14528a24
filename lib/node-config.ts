// A RabbitMQ node's configuration files, made from validated settings: rabbitmq.conf (the
// production checklist's limits, listeners, TLS, peer discovery, then the user's own keys),
// rabbitmq-env.conf and advanced.config. Pure text, shared by the Docker and SSH targets,
// tested without a broker. The broker's own loader checks the result before a running node
// is replaced (CONFIG_CHECK below).

import { shellQuote } from "./ssh";
import { parseRabbitmqVersion } from "./upgrade-plan";

/** Docker target: where burrow copies the node's files (docker cp) for the entrypoint to install. */
export const STAGED_DIR = "/etc/rabbitmq/burrow";
/** Docker target: where the TLS key and certificates go in the container. */
export const TLS_DIR = "/etc/rabbitmq/tls";
/** The ports the node listens on inside its container (the host ports are published onto them). */
export const CONTAINER_PORTS = { amqp: 5672, management: 15672, metrics: 15692, amqps: 5671, managementTls: 15671 };

/** disk_free_limit: relative to the memory RabbitMQ is told it has, or an absolute size ("2GB"). */
export type DiskFreeLimit = { relative: number } | { absolute: string };

/** The parts of rabbitmq.conf burrow writes; every field is a validated setting or a fixed path. */
export interface NodeConf {
    /** The AMQP listener: a port, or "127.0.0.1:5672"; null closes the plain listener (TLS only). */
    amqpListener: string | null;
    /** The management listener; null closes it (TLS only). */
    management: { port: number; ip?: string } | null;
    /** The Prometheus endpoint (rabbitmq_prometheus); null when metrics are off. `tls`: HTTPS only, with the TLS files. */
    metrics: { port: number; ip?: string; tls?: boolean } | null;
    /** Bytes RabbitMQ is told it has (the container's memory limit); null: it measures the host itself. */
    totalMemoryBytes: number | null;
    /** null: written elsewhere (the Docker target keeps them in a file of their own, changed without a restart). */
    memoryHighWatermark: number | null;
    diskFreeLimit: DiskFreeLimit | null;
    /** cluster_partition_handling; null leaves RabbitMQ's default (a single node). */
    partitionHandling: string | null;
    /** TLS listeners with certificate files at these paths; null: none. */
    tls: null | { amqpsPort: number; managementPort: number; dir: string };
    /** Peer discovery by classic config: the nodes this one may join at first boot (empty: none). */
    peers: string[];
    /** The user's extra keys (burrow:rabbitmqConf), already checked against the keys burrow manages. */
    extra: Record<string, string>;
}

/** A float as RabbitMQ's config schema takes it: "1" is refused where a float is due, "1.0" is not. */
export const float = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/** The disk_free_limit line for a limit. */
export function diskFreeLimitLine(d: DiskFreeLimit): string {
    return "relative" in d
        ? `disk_free_limit.relative = ${float(d.relative)}`
        : `disk_free_limit.absolute = ${d.absolute}`;
}

/** The two settings a running node takes without a restart (rabbitmqctl set_vm_memory_high_watermark, set_disk_free_limit). */
export function liveConf(memoryHighWatermark: number, diskFreeLimit: DiskFreeLimit | null): string {
    return [
        `vm_memory_high_watermark.relative = ${float(memoryHighWatermark)}`,
        ...(diskFreeLimit ? [diskFreeLimitLine(diskFreeLimit)] : []),
    ].join("\n");
}

/** The rabbitmqctl arguments that give a running node a disk limit. */
export function diskFreeLimitArgs(d: DiskFreeLimit): string[] {
    return "relative" in d ? ["mem_relative", float(d.relative)] : [d.absolute];
}

/** rabbitmq.conf: burrow's keys first, the user's extra keys last, one `key = value` a line. */
export function rabbitmqConf(c: NodeConf): string {
    const lines: string[] = [];
    lines.push(c.amqpListener === null ? "listeners.tcp = none" : `listeners.tcp.default = ${c.amqpListener}`);
    if (c.management) {
        lines.push(`management.tcp.port = ${c.management.port}`);
        if (c.management.ip) lines.push(`management.tcp.ip = ${c.management.ip}`);
    }
    if (c.metrics && c.metrics.tls && c.tls) {
        // rabbitmq_prometheus opens its plain listener on its default port (15692) unless
        // prometheus.tcp names one, even with only prometheus.ssl set: the same port twice fails
        // the boot (incompatible_listeners, seen on 4.0.5). The plain one gets the next port, on
        // the node's loopback only: nothing outside the node reaches it.
        const d = c.tls.dir;
        lines.push(
            "prometheus.tcp.ip = 127.0.0.1",
            `prometheus.tcp.port = ${c.metrics.port + 1}`,
            `prometheus.ssl.port = ${c.metrics.port}`,
            `prometheus.ssl.cacertfile = ${d}/ca.pem`,
            `prometheus.ssl.certfile = ${d}/cert.pem`,
            `prometheus.ssl.keyfile = ${d}/key.pem`,
        );
    } else if (c.metrics) {
        lines.push(`prometheus.tcp.port = ${c.metrics.port}`);
        if (c.metrics.ip) lines.push(`prometheus.tcp.ip = ${c.metrics.ip}`);
    }
    lines.push("loopback_users.guest = true");
    if (c.totalMemoryBytes !== null) lines.push(`total_memory_available_override_value = ${c.totalMemoryBytes}`);
    if (c.memoryHighWatermark !== null) lines.push(liveConf(c.memoryHighWatermark, c.diskFreeLimit));
    else if (c.diskFreeLimit !== null) lines.push(diskFreeLimitLine(c.diskFreeLimit));
    if (c.partitionHandling) lines.push(`cluster_partition_handling = ${c.partitionHandling}`);
    if (c.tls) {
        const d = c.tls.dir;
        lines.push(
            `listeners.ssl.default = ${c.tls.amqpsPort}`,
            `ssl_options.cacertfile = ${d}/ca.pem`,
            `ssl_options.certfile = ${d}/cert.pem`,
            `ssl_options.keyfile = ${d}/key.pem`,
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            `management.ssl.port = ${c.tls.managementPort}`,
            `management.ssl.cacertfile = ${d}/ca.pem`,
            `management.ssl.certfile = ${d}/cert.pem`,
            `management.ssl.keyfile = ${d}/key.pem`,
        );
    }
    if (c.peers.length > 0) {
        lines.push(
            ...PEER_DISCOVERY,
            ...c.peers.map((n, k) => `cluster_formation.classic_config.nodes.${k + 1} = ${n}`),
        );
    }
    for (const [k, v] of Object.entries(c.extra)) lines.push(`${k} = ${v}`);
    return lines.join("\n") + "\n";
}

/**
 * Peer discovery by classic config, before the list of nodes (Docker and SSH targets). A new
 * node waits in these retries until node 1 answers (joinsOnRetry): up to 10 minutes, longer
 * than any readiness timeout, so it never gives up and boots alone.
 */
export const PEER_DISCOVERY = [
    "cluster_formation.peer_discovery_backend = classic_config",
    "cluster_formation.discovery_retry_limit = 600",
    "cluster_formation.discovery_retry_interval = 1000",
];

/**
 * Whether a new node of this RabbitMQ version waits in peer discovery until another node it
 * lists answers, then joins it (3.13 and later: rabbit_peer_discovery retries, every
 * discovery_retry_interval up to discovery_retry_limit times, while fewer than two listed
 * nodes answer). Before 3.13 a node that finds no peer running boots alone at once. An
 * unreadable version counts as the older behaviour.
 */
export function joinsOnRetry(rabbitmqVersion: string): boolean {
    try {
        const [major, minor] = parseRabbitmqVersion(rabbitmqVersion);
        return major > 3 || (major === 3 && minor >= 13);
    } catch {
        return false;
    }
}

/** rabbitmq-env.conf: `NAME='value'` a line (names without the RABBITMQ_ prefix, as the file takes them). */
export function envConf(entries: Record<string, string>): string {
    return Object.entries(entries)
        .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
        .join("");
}

/**
 * Checks rabbitmq.conf (and advanced.config, when the file exists) with RabbitMQ's own config
 * loader, the code a booting node runs (rabbit_prelaunch_conf, Cuttlefish with the schemas
 * of every plugin), without starting a node. Run as
 * `sh -c "$CONFIG_CHECK" check <dir>` where the directory holds rabbitmq.conf and maybe
 * advanced.config; prints the loader's own messages (stderr) and exits 3 when they are refused.
 * About a second (one Erlang VM).
 */
export const CONFIG_CHECK = `set -eu
dir=$1
libs=$(echo /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins)
cd "$dir"
exec env ERL_LIBS="$libs" erl -noshell -boot no_dot_erlang -eval '
logger:remove_handler(default),
logger:add_handler(burrow, logger_std_h, #{config => #{type => standard_error}, formatter => {logger_formatter, #{template => [msg, "\\n"], single_line => true}}}),
logger:set_primary_config(level, error),
%% Absolute paths: the loader refuses a relative advanced.config ({badfile, ...}).
Adv = case filelib:is_regular("advanced.config") of true -> filename:absname("advanced.config"); false -> undefined end,
%% Where in advanced.config, which the loader itself does not say.
case Adv of
    undefined -> ok;
    _ -> case file:consult(Adv) of
        {ok, [L]} when is_list(L) -> ok;
        {ok, _} -> io:format(standard_error, "advanced.config must hold one Erlang list ending with a dot~n", []), halt(3);
        {error, {Line, Mod, Desc}} -> io:format(standard_error, "advanced.config line ~p: ~ts~n", [Line, Mod:format_error(Desc)]), halt(3);
        {error, R} -> io:format(standard_error, "advanced.config: ~ts~n", [file:format_error(R)]), halt(3)
    end
end,
Ctx = #{plugins_path => os:getenv("ERL_LIBS"), os_type => {unix, linux}},
try rabbit_prelaunch_conf:generate_config_from_cuttlefish_files(Ctx, [filename:absname("rabbitmq.conf")], Adv) of
    _ -> io:format("config ok~n"), halt(0)
catch
    C:E -> logger_std_h:filesync(burrow), io:format(standard_error, "refused: ~p~n", [{C, E}]), halt(3)
end.'
`;
