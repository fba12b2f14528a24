// The node's production settings (RabbitMQ's production checklist: open-file limit, disk
// limit, partition handling, metrics) and the configuration passed through to RabbitMQ
// (extra rabbitmq.conf keys, advanced.config, rabbitmq-env.conf). A key burrow writes
// itself is refused here, naming the burrow key that sets it.
import { Problems } from "./problems";
import { DiskFreeLimit } from "../../lib/node-config";
import { PARTITION_HANDLING, PartitionHandling } from "./rabbitmq";
import { controlChars, isObject, oneOf, parseJsonish, parseScalar, show } from "./values";

/** RabbitMQ's production checklist asks for at least this many open files (its guide: 50,000; the Debian unit: 65,536). */
export const RECOMMENDED_OPEN_FILES = 65536;
/** Linux's default ceiling for any process (fs.nr_open). */
const MAX_OPEN_FILES = 1048576;

/**
 * rabbitmq.conf keys (and their sub-keys) that burrow writes, with the burrow key to set
 * instead. Matched as the key itself or a prefix followed by ".".
 */
export const MANAGED_CONF_KEYS: Array<[prefix: string, burrowKey: string, note?: string]> = [
    ["listeners.tcp", "amqpPort", "and tls.only to close it"],
    ["listeners.ssl", "tls"],
    ["ssl_options", "tls"],
    ["management.tcp", "managementPort"],
    ["management.ssl", "tls"],
    ["prometheus.tcp", "metricsPort"],
    ["loopback_users", "removeGuest"],
    ["default_user_tags", "adminTags"],
    ["default_user", "adminUser"],
    ["default_pass", "adminPassword"],
    ["default_permissions", "adminPermissions"],
    ["default_vhost", "vhosts"],
    ["load_definitions", "queues", "burrow imports users, vhosts, queues, exchanges, bindings and policies itself"],
    ["total_memory_available_override_value", "memoryLimitMb"],
    ["vm_memory_high_watermark", "memoryHighWatermark"],
    ["disk_free_limit", "diskFreeLimit"],
    ["cluster_partition_handling", "partitionHandling"],
    ["cluster_formation", "cluster"],
];

/** rabbitmq-env.conf names burrow sets or relies on, with the burrow key that decides them. */
export const MANAGED_ENV_KEYS: Record<string, [burrowKey: string, note?: string]> = {
    NODENAME: ["ssh.hosts[i].nodeName", "in Docker burrow fixes the node name: its data belongs to it"],
    USE_LONGNAME: ["ssh.hosts[i].nodeName", "burrow uses short node names"],
    NODE_PORT: ["amqpPort"],
    NODE_IP_ADDRESS: ["bindAddress", "on SSH hosts: ssh.tunnel"],
    DIST_PORT: ["cluster"],
    CONFIG_FILE: ["rabbitmqConf"],
    CONFIG_FILES: ["rabbitmqConf"],
    ADVANCED_CONFIG_FILE: ["advancedConfig"],
    CONF_ENV_FILE: ["envConfig"],
    ENABLED_PLUGINS_FILE: ["plugins"],
    ENABLED_PLUGINS: ["plugins"],
    PLUGINS_DIR: ["plugins"],
    BASE: ["keepData", "burrow owns the data directory"],
    MNESIA_BASE: ["keepData", "burrow owns the data directory"],
    MNESIA_DIR: ["keepData", "burrow owns the data directory"],
    ERLANG_COOKIE: ["cluster", "burrow generates the Erlang cookie"],
};

/** "set `burrow:key` instead (note)". */
const instead = (p: Problems, [key, note]: [string, string?]) => `set ${p.ref(key)} instead${note ? ` (${note})` : ""}`;

/** `openFileLimit`: a whole number of files. */
export function openFileLimit(p: Problems, v: unknown): number | undefined {
    const n = parseScalar(v ?? RECOMMENDED_OPEN_FILES);
    if (Number.isInteger(n) && (n as number) >= 1024 && (n as number) <= MAX_OPEN_FILES) return n as number;
    return p.add(
        "openFileLimit",
        `is ${show(v)}; use a whole number of open files from 1024 to ${MAX_OPEN_FILES} (RabbitMQ's production checklist asks for at least ${RECOMMENDED_OPEN_FILES})`,
    );
}

const SIZE = /^([1-9][0-9]*)(kB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

/** `diskFreeLimit`: a number is relative to the memory RabbitMQ has; a size ("2GB", bytes) is absolute. */
export function diskFreeLimit(p: Problems, v: unknown): DiskFreeLimit | undefined {
    const x = parseScalar(v ?? 1.0);
    if (typeof x === "number" && x >= 0.1 && x <= 10) return { relative: x };
    // A whole number of bytes (config strings arrive as numbers): at least a megabyte.
    if (typeof x === "number" && Number.isInteger(x) && x >= 1_000_000) return { absolute: String(x) };
    if (typeof x === "string" && SIZE.test(x.trim())) return { absolute: x.trim() };
    return p.add(
        "diskFreeLimit",
        `is ${show(v)}; use a multiple of the broker's memory from 0.1 to 10 (default 1.0, RabbitMQ's production checklist), or an absolute size such as "2GB" or "500MB" (units kB, MB, GB, TB, KiB, MiB, GiB, TiB) or a number of bytes of at least 1000000`,
    );
}

/**
 * `partitionHandling`: what a cluster does when its nodes lose sight of each other.
 * pause_minority by default, RabbitMQ's recommendation from 3 nodes on (the minority side
 * stops, no split brain), for every cluster size: it is a restart-worthy setting, and a
 * default that followed the node count would restart the running nodes when a cluster grows
 * from 1 or 2 nodes. (With 2 nodes neither side of a partition is a majority, so both pause;
 * `autoheal` keeps them serving and loses the smaller side's changes.) None for a single broker.
 */
export function partitionHandling(
    p: Problems,
    v: unknown,
    nodes: number | undefined,
    clusterRef: string,
): PartitionHandling | undefined {
    if (v === undefined) return nodes === undefined ? undefined : "pause_minority";
    const h = oneOf(p, "partitionHandling", v, PARTITION_HANDLING);
    if (h && nodes === undefined)
        return p.add("partitionHandling", `applies to a cluster; set ${clusterRef} or remove it`);
    return h;
}

/** `metricsPort`: a port, or false to leave rabbitmq_prometheus off. Default managementPort + 20 (15692). */
export function metricsPort(p: Problems, v: unknown, managementPort: number | undefined): number | null | undefined {
    const x = parseScalar(v);
    if (x === false) return null;
    if (x === undefined) return managementPort === undefined ? undefined : managementPort + 20;
    if (Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 65535) return x as number;
    return p.add(
        "metricsPort",
        `is ${show(v)}; use a port from 1 to 65535, or false to turn the Prometheus endpoint off`,
    );
}

const CONF_KEY = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_$@:/-]+)*$/;

/**
 * `rabbitmqConf`: extra rabbitmq.conf keys, {"key": value}; nested objects are joined with
 * dots ({"mqtt": {"listeners": {"tcp": {"default": 1883}}}}, which is what
 * `config set --path burrow:rabbitmqConf.mqtt.listeners.tcp.default 1883` stores). Keys burrow
 * writes itself are refused.
 */
export function rabbitmqConfEntries(p: Problems, v: unknown): Record<string, string> {
    const x = parseJsonish(v);
    if (x === undefined) return {};
    if (!isObject(x))
        return (
            p.add(
                "rabbitmqConf",
                `is ${show(v)}; use an object of rabbitmq.conf keys, e.g. {"heartbeat": 30, "consumer_timeout": 3600000}`,
            ) ?? {}
        );
    const flat: Array<[string, unknown]> = [];
    const walk = (prefix: string, o: Record<string, unknown>) => {
        for (const [k, val] of Object.entries(o)) {
            const full = prefix ? `${prefix}.${k}` : k;
            if (isObject(val)) walk(full, val);
            else flat.push([full, val]);
        }
    };
    walk("", x);
    const out: Record<string, string> = {};
    for (const [k, raw] of flat) {
        const key = `rabbitmqConf.${k}`;
        if (!CONF_KEY.test(k)) {
            p.add(key, `is not a rabbitmq.conf key; keys look like "heartbeat" or "mqtt.listeners.tcp.default"`);
            continue;
        }
        const managed = MANAGED_CONF_KEYS.find(([m]) => k === m || k.startsWith(`${m}.`));
        if (managed) {
            p.add(key, `is written by burrow; ${instead(p, [managed[1], managed[2]])}`);
            continue;
        }
        if (
            !(typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") ||
            String(raw).trim() === "" ||
            controlChars(String(raw))
        ) {
            p.add(key, `is ${show(raw)}; a rabbitmq.conf value is one line of text, a number or true/false`);
            continue;
        }
        out[k] = String(raw).trim();
    }
    return out;
}

/** `advancedConfig`: advanced.config's text, one Erlang term ending with a dot. The broker's loader parses it. */
export function advancedConfig(p: Problems, v: unknown): string {
    if (v === undefined || v === "") return "";
    // eslint-disable-next-line no-control-regex
    if (typeof v !== "string" || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v))
        return (
            p.add(
                "advancedConfig",
                `is ${show(v)}; use advanced.config's text, e.g. "[{rabbit, [{consumer_timeout, 3600000}]}]."`,
            ) ?? ""
        );
    const t = v.trim();
    if (!t.startsWith("[") || !t.endsWith("."))
        return (
            p.add(
                "advancedConfig",
                `must be one Erlang list ending with a dot, e.g. "[{rabbit, [{consumer_timeout, 3600000}]}]." (got ${show(t)})`,
            ) ?? ""
        );
    return t + "\n";
}

/** `envConfig`: rabbitmq-env.conf entries, {"NAME": value}, names without the RABBITMQ_ prefix. */
export function envConfigEntries(p: Problems, v: unknown): Record<string, string> {
    const x = parseJsonish(v);
    if (x === undefined) return {};
    if (!isObject(x))
        return (
            p.add("envConfig", `is ${show(v)}; use an object such as {"SERVER_ADDITIONAL_ERL_ARGS": "+S 2:2"}`) ?? {}
        );
    const out: Record<string, string> = {};
    for (const [k, raw] of Object.entries(x)) {
        const key = `envConfig.${k}`;
        const name = k.startsWith("RABBITMQ_") ? k.slice("RABBITMQ_".length) : k;
        if (k.startsWith("RABBITMQ_")) {
            p.add(key, `names ${k}; rabbitmq-env.conf takes names without the RABBITMQ_ prefix: use "${name}"`);
            continue;
        }
        if (!/^[A-Z][A-Z0-9_]*$/.test(k)) {
            p.add(key, `is not a rabbitmq-env.conf name; names are upper case, e.g. SERVER_ADDITIONAL_ERL_ARGS`);
            continue;
        }
        if (MANAGED_ENV_KEYS[k]) {
            p.add(key, `is set by burrow; ${instead(p, MANAGED_ENV_KEYS[k])}`);
            continue;
        }
        if (!(typeof raw === "string" || typeof raw === "number") || controlChars(String(raw))) {
            p.add(key, `is ${show(raw)}; a rabbitmq-env.conf value is one line of text or a number`);
            continue;
        }
        out[k] = String(raw);
    }
    return out;
}
