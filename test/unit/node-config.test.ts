// The node's configuration files as text: what the Docker container and an SSH host get
// from the settings. RabbitMQ's own loader checks them for real in the integration tests.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { RabbitmqContainerInputs, configFiles, containerConf } from "../../components/providers/rabbitmq-container";
import { installScript, RemoteRabbitmqInputs } from "../../components/providers/remote-rabbitmq";
import { CONFIG_CHECK, envConf, joinsOnRetry } from "../../lib/node-config";
import { hostConfBody, hostMemoryScript } from "../../lib/host-node-config";
import { NodeFigures, nodeProblems } from "../../lib/node-health";

const container: RabbitmqContainerInputs = {
    name: "burrow-x",
    image: "sha256:abc",
    hostname: "burrow",
    nodeName: "rabbit@burrow",
    bindAddress: "127.0.0.1",
    amqpPort: 5673,
    managementPort: 15673,
    metricsPort: 15693,
    volume: "v",
    memoryLimitMb: 1024,
    memoryHighWatermark: 0.6,
    diskFreeLimit: { relative: 1 },
    openFileLimit: 20000,
    partitionHandling: "",
    rabbitmqConf: { heartbeat: "30" },
    advancedConfig: "",
    envConfig: {},
    erlangCookie: "cookie",
    labels: {},
    readyTimeoutMs: 1000,
    cluster: null,
    firstNode: null,
    tls: null,
    bootAdmin: null,
    bootDefinitions: null,
    rabbitmqVersion: "4.0.5",
};

describe("the container's rabbitmq.conf", () => {
    it("holds the memory, the Prometheus listener, and the user's keys last (the live settings apart)", () => {
        expect(containerConf(container)).toBe(
            [
                "listeners.tcp.default = 5672",
                "management.tcp.port = 15672",
                "prometheus.tcp.port = 15692",
                "loopback_users.guest = true",
                "total_memory_available_override_value = 1073741824",
                "heartbeat = 30",
                "",
            ].join("\n"),
        );
    });

    it("closes the plain listeners with TLS only, and names the cluster's peers and partition handling", () => {
        const conf = containerConf({
            ...container,
            metricsPort: null,
            diskFreeLimit: { absolute: "2GB" },
            partitionHandling: "pause_minority",
            tls: { only: true, amqpsPort: 5671, managementPort: 15671, caCert: "", serverCert: "", serverKey: "" },
            cluster: { network: "n", alias: "rabbit-2", peers: ["rabbit@rabbit-1", "rabbit@rabbit-2"] },
        });
        expect(conf).toContain("listeners.tcp = none\n");
        expect(conf).not.toContain("management.tcp.port");
        expect(conf).not.toContain("prometheus");
        const tlsMetrics = containerConf({
            ...container,
            tls: { only: true, amqpsPort: 5671, managementPort: 15671, caCert: "", serverCert: "", serverKey: "" },
        });
        expect(tlsMetrics).toContain(
            "prometheus.ssl.port = 15692\nprometheus.ssl.cacertfile = /etc/rabbitmq/tls/ca.pem\n",
        );
        // The plugin's plain listener, which it always opens, only on the node's loopback (4.0.5 fails the boot otherwise).
        expect(tlsMetrics).toContain("prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = 15693\n");
        expect(conf).not.toContain("disk_free_limit"); // live.conf's
        expect(configFiles({ ...container, diskFreeLimit: { absolute: "2GB" } })[1]).toEqual([
            "live.conf",
            "vm_memory_high_watermark.relative = 0.6\ndisk_free_limit.absolute = 2GB\n",
            0o644,
        ]);
        expect(conf).toContain("cluster_partition_handling = pause_minority\n");
        expect(conf).toContain("listeners.ssl.default = 5671\nssl_options.cacertfile = /etc/rabbitmq/tls/ca.pem\n");
        expect(conf).toContain(
            "cluster_formation.classic_config.nodes.1 = rabbit@rabbit-1\ncluster_formation.classic_config.nodes.2 = rabbit@rabbit-2\n",
        );
    });

    it("adds advanced.config and rabbitmq-env.conf only when given, private to root and rabbitmq", () => {
        expect(configFiles(container).map(([n]) => n)).toEqual(["rabbitmq.conf", "live.conf"]);
        const files = configFiles({
            ...container,
            advancedConfig: "[{rabbit, []}].\n",
            envConfig: { SERVER_ADDITIONAL_ERL_ARGS: "+S 2:2 -x 'q'" },
        });
        expect(files.map(([n, , mode]) => [n, mode.toString(8)])).toEqual([
            ["rabbitmq.conf", "644"],
            ["live.conf", "644"],
            ["advanced.config", "600"],
            ["rabbitmq-env.conf", "600"],
        ]);
        // Sourced by sh: the value comes back exactly.
        const env = files[3][1];
        expect(
            execFileSync("sh", ["-c", `${env}printf '%s' "$SERVER_ADDITIONAL_ERL_ARGS"`], { encoding: "utf8" }),
        ).toBe("+S 2:2 -x 'q'");
    });
});

const fresh = { origin: "fresh" as const, adopted: false, adoptedRunning: false, installId: "install-1" };

describe("an SSH host's configuration", () => {
    const host: RemoteRabbitmqInputs = {
        ssh: { host: "10.0.0.3", port: 22, user: "root", privateKey: "k" },
        aptSources: [],
        rabbitmqVersion: "",
        plugins: ["rabbitmq_management", "rabbitmq_prometheus"],
        amqpPort: 5672,
        managementPort: 15672,
        memoryHighWatermark: 0.5,
        nodeConfig: {
            metricsPort: 15692,
            openFileLimit: 65536,
            diskFreeLimit: { relative: 1.5 },
            partitionHandling: "pause_minority",
            rabbitmqConf: { heartbeat: "30" },
            advancedConfig: "[{rabbit, [{consumer_timeout, 60000}]}].\n",
            envConfig: { SERVER_ADDITIONAL_ERL_ARGS: "+S 1:1" },
        },
        erlangCookie: "cookie",
        keepData: false,
        owner: "0123456789abcdef",
        adoptExisting: false,
        loopbackOnly: true,
        cluster: null,
    };

    it("puts the watermark, disk limit, partition handling, metrics and the user's keys in conf.d", () => {
        expect(hostConfBody({ ...host.nodeConfig, memoryHighWatermark: 0.5 }, true)).toBe(
            [
                "vm_memory_high_watermark.relative = 0.5",
                "disk_free_limit.relative = 1.5",
                "cluster_partition_handling = pause_minority",
                "prometheus.tcp.port = 15692",
                "prometheus.tcp.ip = 127.0.0.1",
                "heartbeat = 30",
                "",
            ].join("\n"),
        );
    });

    it("writes the limits, checks passthrough with RabbitMQ's loader, uses the staged checks; valid bash", () => {
        const script = installScript(host, fresh);
        expect(script).toContain("LimitNOFILE=65536");
        expect(script).toContain('ulimit -n "$want"');
        expect(script).toContain("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=");
        expect(script).toContain("rabbit_prelaunch_conf:generate_config_from_cuttlefish_files");
        expect(script).toContain("check_running check_local_alarms check_port_listener:5672 check_port_listener:15672");
        expect(script).toContain('echo "openfiles=');
        expect(script).not.toMatch(/^vm_memory_high_watermark/m); // not in rabbitmq.conf: conf.d, applied live
        execFileSync("bash", ["-n"], { input: script });
        const plain = installScript(
            {
                ...host,
                loopbackOnly: false,
                nodeConfig: { ...host.nodeConfig, rabbitmqConf: {}, advancedConfig: "" },
            },
            fresh,
        );
        expect(plain).toContain("check_running check_local_alarms check_port_connectivity");
        // Without keys of the user's there is nothing for the loader to check.
        expect(plain).not.toContain("rabbit_prelaunch_conf");
        execFileSync("bash", ["-n"], { input: plain });
    });

    it("the config check is valid sh", () => {
        execFileSync("sh", ["-n"], { input: CONFIG_CHECK });
        expect(envConf({})).toBe("");
    });
});

describe("LiveSettings diff", () => {
    it("updates in place for new values or a new container, and replaces only for another container name", async () => {
        const { liveSettingsProvider } = await import("../../components/providers/live-settings");
        const base = { container: "c", containerId: "1", memoryHighWatermark: 0.6, diskFreeLimit: { relative: 1 } };
        expect(await liveSettingsProvider.diff!("id", base, base)).toEqual({ changes: false, replaces: [] });
        expect(
            await liveSettingsProvider.diff!("id", base, {
                ...base,
                diskFreeLimit: { absolute: "2GB" },
                containerId: "2",
            }),
        ).toEqual({ changes: true, replaces: [] });
        expect(await liveSettingsProvider.diff!("id", base, { ...base, container: "d" })).toEqual({
            changes: true,
            replaces: ["container"],
        });
    });
});

describe("npm run status: what makes a node unhealthy", () => {
    const healthy: NodeFigures = {
        name: "rabbit@a",
        running: true,
        alarms: [],
        partitions: [],
        fdUsed: 40,
        fdLimit: 20000,
        memUsed: 100e6,
        memLimit: 600e6,
        diskFree: 60e9,
        diskFreeLimit: 1e9,
        procUsed: 500,
        procLimit: 1048576,
        connections: 2,
        uptimeMs: 1000,
    };
    it("names a stopped node, each alarm, a partition and a node near its open-file limit", () => {
        expect(nodeProblems(healthy)).toEqual([]);
        expect(nodeProblems({ ...healthy, running: false })).toEqual(["rabbit@a is not running"]);
        expect(nodeProblems({ ...healthy, alarms: ["memory", "disk"] })).toEqual([
            "rabbit@a has a memory alarm (uses 100 MB, watermark 600 MB): publishers are blocked",
            "rabbit@a has a disk alarm (60000 MB free, limit 1000 MB): publishers are blocked",
        ]);
        expect(nodeProblems({ ...healthy, partitions: ["rabbit@b"] })).toEqual([
            "rabbit@a is partitioned from rabbit@b",
        ]);
        expect(nodeProblems({ ...healthy, fdUsed: 18000 })).toEqual(["rabbit@a uses 18000 of its 20000 open files"]);
    });
});

describe("the memory an SSH host has (hostMemoryScript), on fake /proc and cgroup trees", () => {
    const GB = 1024 ** 3;
    const UNLIMITED = "9223372036854771712";
    /** Runs the script on a tree of `files` (paths under proc/ and cgroup/) and returns the `mem` it found. */
    function memOf(files: Record<string, string>): number {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-mem-"));
        try {
            for (const [f, text] of Object.entries({
                "proc/meminfo": `MemTotal:       ${24 * 1024 * 1024} kB\n`,
                ...files,
            })) {
                fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
                fs.writeFileSync(path.join(root, f), text);
            }
            const script = hostMemoryScript({ proc: `${root}/proc`, cgroup: `${root}/cgroup` });
            return Number(
                execFileSync("bash", ["-euo", "pipefail", "-c", `${script}echo "$mem"`], { encoding: "utf8" }),
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
    const v1 = (memoryPath: string) => `9:name=systemd:${memoryPath}\n4:memory:${memoryPath}\n0::${memoryPath}\n`;

    it("systemd in a container sharing the machine's cgroup namespace (v1, measured here): the limit on PID 1's ancestor", () => {
        expect(
            memOf({
                "proc/1/cgroup": v1("/docker/abc/init.scope"),
                "cgroup/memory/memory.limit_in_bytes": UNLIMITED,
                "cgroup/memory/docker/abc/memory.limit_in_bytes": String(2 * GB),
                "cgroup/memory/docker/abc/init.scope/memory.limit_in_bytes": UNLIMITED,
            }),
        ).toBe(2 * GB);
    });

    it("a container with its own tree (v1: its cgroup mounted as the root; PID 1's path not in it)", () => {
        expect(
            memOf({
                "proc/1/cgroup": v1("/docker/abc"),
                "cgroup/memory/memory.limit_in_bytes": String(2 * GB),
            }),
        ).toBe(2 * GB);
    });

    it("cgroup v2: memory.max of an ancestor, 'max' meaning none", () => {
        expect(memOf({ "proc/1/cgroup": "0::/\n", "cgroup/memory.max": String(2 * GB) })).toBe(2 * GB);
        expect(memOf({ "proc/1/cgroup": "0::/\n", "cgroup/memory.max": "max" })).toBe(24 * GB);
        expect(
            memOf({
                "proc/1/cgroup": "0::/machine.slice/vm/init.scope\n",
                "cgroup/machine.slice/memory.max": "max",
                "cgroup/machine.slice/vm/memory.max": String(3 * GB),
                "cgroup/machine.slice/vm/init.scope/memory.max": "max",
            }),
        ).toBe(3 * GB);
    });

    it("a machine without limits: MemTotal; a sibling's limit (an SSH session's slice) is not the broker's", () => {
        expect(memOf({ "proc/1/cgroup": v1("/init.scope") })).toBe(24 * GB);
        expect(
            memOf({
                "proc/1/cgroup": "0::/init.scope\n",
                "cgroup/user.slice/memory.max": String(1 * GB),
            }),
        ).toBe(24 * GB);
    });

    it("a limit above the machine's RAM is the RAM", () => {
        expect(memOf({ "proc/1/cgroup": "0::/\n", "cgroup/memory.max": String(64 * GB) })).toBe(24 * GB);
    });
});

describe("joinsOnRetry", () => {
    it("is true from 3.13 on, where a new node retries until a peer answers, in any spelling of the version", () => {
        for (const v of ["3.13.0", "3.13.7-1", "4.0.5-6+deb13u2", "1:4.3.6-1", "10.0.0"])
            expect(joinsOnRetry(v), v).toBe(true);
    });
    it("is false before 3.13 (a node that finds no peer boots alone) and for what is not a version", () => {
        for (const v of ["3.10.8-1", "3.12.14", "3.9", "", "unknown"]) expect(joinsOnRetry(v), v).toBe(false);
    });
});
