import { describe, expect, it } from "vitest";
import { RawConfig, SettingsError, parseSettings, quorumTargetSizes } from "../../components/settings";
import { recordFigure } from "../figures";

function problems(raw: RawConfig): string[] {
    try {
        parseSettings(raw);
    } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as SettingsError).problems;
    }
    throw new Error("expected the settings to be rejected");
}

describe("parseSettings defaults", () => {
    it("stands up a usable broker with no config at all (the seed's three rabbitmqctl lines)", () => {
        const s = parseSettings({});
        expect(s.target).toBe("docker");
        expect(s.debianRelease).toBe("trixie");
        expect(s.baseImage).toBe("burrow/debian:trixie");
        expect(s.bindAddress).toBe("127.0.0.1");
        expect([s.amqpPort, s.managementPort]).toEqual([5672, 15672]);
        expect(s.plugins).toEqual(["rabbitmq_management", "rabbitmq_prometheus"]);
        expect(s.admin).toEqual({
            name: "admin",
            password: undefined,
            tags: ["administrator"],
            permissions: [{ vhost: "/", configure: ".*", write: ".*", read: ".*" }],
            topicPermissions: [],
        });
        expect(s.removeGuest).toBe(true);
        expect(s.keepData).toBe(false);
        expect(s.smokeQueue).toBe("burrow.smoke");
        expect(s.queues).toEqual([]);
    });

    it("parses CLI strings into numbers and booleans", () => {
        const s = parseSettings({
            amqpPort: "5673",
            managementPort: "15673",
            keepData: "true",
            memoryHighWatermark: "0.4",
        });
        expect([s.amqpPort, s.managementPort, s.keepData, s.memoryHighWatermark]).toEqual([5673, 15673, true, 0.4]);
    });

    it("fills queue defaults: durable classic in vhost /", () => {
        const s = parseSettings({
            queues: ["tasks", { name: "orders", type: "quorum", arguments: { "x-delivery-limit": 5 } }],
        });
        expect(s.queues).toEqual([
            {
                name: "tasks",
                vhost: "/",
                type: "classic",
                durable: true,
                autoDelete: false,
                arguments: {},
                smoke: false,
            },
            {
                name: "orders",
                vhost: "/",
                type: "quorum",
                durable: true,
                autoDelete: false,
                arguments: { "x-delivery-limit": 5 },
                smoke: false,
            },
        ]);
    });

    it("accepts a full topology that references itself correctly", () => {
        const s = parseSettings({
            vhosts: ["shop"],
            users: [
                {
                    name: "app",
                    tags: ["monitoring"],
                    permissions: [{ vhost: "shop", configure: "^app\\.", write: ".*", read: ".*" }],
                    topicPermissions: [{ vhost: "shop", exchange: "events", write: "^orders\\.", read: ".*" }],
                },
            ],
            exchanges: [{ name: "events", vhost: "shop", type: "topic" }],
            queues: [{ name: "orders", vhost: "shop", type: "quorum", smoke: true }],
            bindings: [{ vhost: "shop", source: "events", destination: "orders", routingKey: "orders.#" }],
            policies: [{ name: "cap", vhost: "shop", pattern: "^orders$", definition: { "max-length": 1000 } }],
            adminPermissions: { vhost: "shop" },
        });
        expect(s.bindings[0]).toEqual({
            vhost: "shop",
            source: "events",
            destination: "orders",
            destinationType: "queue",
            routingKey: "orders.#",
            arguments: {},
        });
        expect(s.policies[0].applyTo).toBe("queues");
        expect(s.admin.permissions[0]).toEqual({ vhost: "shop", configure: ".*", write: ".*", read: ".*" });
    });
});

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nx";
/** A valid two-host SSH cluster that the cases below break one way each. */
const SSH_CLUSTER = {
    target: "ssh",
    cluster: true,
    ssh: { privateKey: KEY, insecureIgnoreHostKey: true, hosts: [{ host: "a" }, { host: "b" }] as unknown },
};

// One malformed configuration per option and kind of mistake; each must name its key.
const BAD: Array<[string, RawConfig, string]> = [
    ["unknown key", { amqpPrt: 5672 }, "`burrow:amqpPrt` is not a burrow setting"],
    ["target", { target: "kubernetes" }, "`burrow:target`"],
    ["ssh target without ssh", { target: "ssh" }, "`burrow:ssh` is required"],
    [
        "ssh without host key",
        { target: "ssh", ssh: { host: "h", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx" } },
        "`burrow:ssh.hostKey` is required",
    ],
    [
        "ssh private key",
        { target: "ssh", ssh: { host: "h", privateKey: "hunter2", insecureIgnoreHostKey: true } },
        "`burrow:ssh.privateKey`",
    ],
    ["ssh on docker target", { ssh: { host: "h" } }, "`burrow:ssh` is set but"],
    [
        "apt source uri",
        {
            target: "ssh",
            ssh: { host: "h", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----", insecureIgnoreHostKey: true },
            aptSources: [{ name: "x", uri: "ftp://a", suite: "s" }],
        },
        "`burrow:aptSources[0].uri`",
    ],
    [
        "apt source key",
        {
            target: "ssh",
            ssh: { host: "h", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----", insecureIgnoreHostKey: true },
            aptSources: [{ name: "x", uri: "http://a", suite: "s", key: "abc" }],
        },
        "`burrow:aptSources[0].key`",
    ],
    [
        "rabbitmq version on docker",
        { rabbitmqVersion: "4.0.5" },
        "`burrow:rabbitmqVersion` applies to the SSH target only",
    ],
    ["debian release", { debianRelease: "buster" }, "`burrow:debianRelease`"],
    ["base image ref", { baseImage: "Not An Image!" }, "`burrow:baseImage`"],
    ["plugin name", { plugins: ["management"] }, "`burrow:plugins[0]`"],
    ["plugins not a list", { plugins: 7 }, "`burrow:plugins`"],
    ["bind address", { bindAddress: "localhost:80" }, "`burrow:bindAddress`"],
    ["port zero", { amqpPort: 0 }, "`burrow:amqpPort`"],
    ["port too big", { managementPort: 70000 }, "`burrow:managementPort`"],
    ["port not a number", { amqpPort: "five" }, "`burrow:amqpPort`"],
    ["port in hexadecimal (Number() would read it)", { amqpPort: "0x7A48" }, "`burrow:amqpPort`"],
    ["port Infinity", { amqpPort: "Infinity" }, "`burrow:amqpPort`"],
    ["ports equal", { amqpPort: 5000, managementPort: 5000 }, "`burrow:managementPort` equals `burrow:amqpPort`"],
    ["memory too small", { memoryLimitMb: 64 }, "`burrow:memoryLimitMb`"],
    ["watermark", { memoryHighWatermark: 1.5 }, "`burrow:memoryHighWatermark`"],
    ["keepData", { keepData: "maybe" }, "`burrow:keepData`"],
    ["removeGuest", { removeGuest: "no" }, "`burrow:removeGuest`"],
    ["admin user empty", { adminUser: "" }, "`burrow:adminUser`"],
    ["admin password short", { adminPassword: "short" }, "`burrow:adminPassword`"],
    ["admin tag unknown", { adminTags: ["root"] }, '`burrow:adminTags` has unknown user tag "root"'],
    [
        "admin without administrator",
        { adminTags: ["monitoring"] },
        '`burrow:adminTags` is ["monitoring"]; it must include "administrator"',
    ],
    ["admin permission regex", { adminPermissions: { configure: "(" } }, "`burrow:adminPermissions.configure`"],
    ["admin permission vhost", { adminPermissions: { vhost: "nope" } }, "`burrow:adminPermissions.vhost`"],
    ["vhost control char", { vhosts: ["a\u0007b"] }, "`burrow:vhosts[0]`"],
    ["vhost duplicate", { vhosts: ["a", "a"] }, "`burrow:vhosts` declares a twice"],
    ["user without name", { users: [{ tags: [] }] }, "`burrow:users[0].name`"],
    ["user named like admin", { users: [{ name: "admin" }] }, "`burrow:users[0].name`"],
    ["user tag", { users: [{ name: "u", tags: ["superuser"] }] }, "`burrow:users[0].tags`"],
    [
        "user permission regex",
        { users: [{ name: "u", permissions: [{ vhost: "/", read: "[" }] }] },
        "`burrow:users[0].permissions[0].read`",
    ],
    [
        "topic permission vhost",
        { users: [{ name: "u", topicPermissions: [{ vhost: "x" }] }] },
        "`burrow:users[0].topicPermissions[0].vhost`",
    ],
    ["queue name empty", { queues: [{ name: "" }] }, "`burrow:queues[0].name`"],
    ["queue name too long", { queues: ["q".repeat(256)] }, "`burrow:queues[0].name` is 256 bytes long"],
    ["queue reserved name", { queues: ["amq.mine"] }, "`burrow:queues[0].name`"],
    ["queue type", { queues: [{ name: "q", type: "lazy" }] }, "`burrow:queues[0].type`"],
    [
        "queue unknown argument",
        { queues: [{ name: "q", arguments: { "x-speed": 1 } }] },
        "`burrow:queues[0].arguments.x-speed`",
    ],
    [
        "queue argument value",
        { queues: [{ name: "q", arguments: { "x-message-ttl": -1 } }] },
        "`burrow:queues[0].arguments.x-message-ttl`",
    ],
    [
        "queue argument wrong type",
        { queues: [{ name: "q", type: "stream", arguments: { "x-max-priority": 5 } }] },
        "does not apply to stream queues",
    ],
    [
        "queue x-queue-type",
        { queues: [{ name: "q", arguments: { "x-queue-type": "quorum" } }] },
        "`burrow:queues[0].arguments.x-queue-type`",
    ],
    ["quorum not durable", { queues: [{ name: "q", type: "quorum", durable: false }] }, "`burrow:queues[0].durable`"],
    ["queue in undeclared vhost", { queues: [{ name: "q", vhost: "shop" }] }, "`burrow:queues[0].vhost`"],
    ["queue duplicate", { queues: ["q", "q"] }, '`burrow:queues` declares "q" in vhost "/" twice'],
    ["queue field unknown", { queues: [{ name: "q", tipe: "quorum" }] }, "`burrow:queues[0].tipe`"],
    ["smoke queue clash", { queues: ["burrow.smoke"] }, "`burrow:smokeQueue`"],
    ["exchange type", { exchanges: [{ name: "e", type: "broadcast" }] }, "`burrow:exchanges[0].type`"],
    ["exchange reserved", { exchanges: [{ name: "amq.x", type: "direct" }] }, "`burrow:exchanges[0].name`"],
    [
        "binding to undeclared exchange",
        { queues: ["q"], bindings: [{ source: "nope", destination: "q" }] },
        "`burrow:bindings[0].source`",
    ],
    [
        "binding to undeclared queue",
        { exchanges: [{ name: "e", type: "direct" }], bindings: [{ source: "e", destination: "nope" }] },
        "`burrow:bindings[0].destination`",
    ],
    [
        "binding destination type",
        { bindings: [{ source: "amq.direct", destination: "q", destinationType: "topic" }] },
        "`burrow:bindings[0].destinationType`",
    ],
    [
        "policy pattern",
        { policies: [{ name: "p", pattern: "*", definition: { "max-length": 1 } }] },
        "`burrow:policies[0].pattern`",
    ],
    [
        "policy empty definition",
        { policies: [{ name: "p", pattern: ".*", definition: {} }] },
        "`burrow:policies[0].definition`",
    ],
    [
        "policy apply-to",
        { policies: [{ name: "p", pattern: ".*", applyTo: "users", definition: { a: 1 } }] },
        "`burrow:policies[0].applyTo`",
    ],
    ["lists must be lists", { queues: "tasks" }, "`burrow:queues`"],
    ["cluster of zero", { cluster: 0 }, "`burrow:cluster.nodes`"],
    [
        "replication factor over cluster",
        { cluster: { nodes: 3, replicationFactor: 5 } },
        "`burrow:cluster.replicationFactor`",
    ],
    [
        "ssh cluster with one ssh.host",
        { target: "ssh", ssh: { host: "h", privateKey: KEY, insecureIgnoreHostKey: true }, cluster: 3 },
        "`burrow:cluster` on the SSH target needs the hosts as a list in `burrow:ssh.hosts`",
    ],
    [
        "ssh cluster node count disagrees",
        { ...SSH_CLUSTER, cluster: { nodes: 3 } },
        "`burrow:cluster.nodes` is 3, but `burrow:ssh.hosts` lists 2 hosts",
    ],
    [
        "ssh cluster without hosts",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: [] } },
        "`burrow:ssh.hosts` lists no hosts",
    ],
    [
        "ssh hosts not a list",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: "a,b" } },
        '`burrow:ssh.hosts` is "a,b"; use a list',
    ],
    [
        "ssh hosts without cluster",
        { target: "ssh", ssh: SSH_CLUSTER.ssh },
        "`burrow:ssh.hosts` makes a cluster, but `burrow:cluster` is not set",
    ],
    [
        "ssh duplicate host:port",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: [{ host: "a" }, { host: "a", port: 22 }] } },
        "`burrow:ssh.hosts` declares host a port 22 twice",
    ],
    [
        "ssh duplicate node names",
        {
            ...SSH_CLUSTER,
            ssh: {
                ...SSH_CLUSTER.ssh,
                hosts: [
                    { host: "a", nodeName: "rabbit@n" },
                    { host: "b", nodeName: "rabbit@n" },
                ],
            },
        },
        "`burrow:ssh.hosts` declares node name rabbit@n twice",
    ],
    [
        "ssh node name with dots",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: [{ host: "a", nodeName: "rabbit@a.example.com" }] } },
        '`burrow:ssh.hosts[0].nodeName` is "rabbit@a.example.com"; use a short node name',
    ],
    [
        "ssh host entry without host",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: [{ host: "a" }, { port: 2222 }] } },
        "`burrow:ssh.hosts[1].host`",
    ],
    [
        "ssh host entry unknown field",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, hosts: [{ host: "a", user: "x" }] } },
        "`burrow:ssh.hosts[0].user` is not a field here",
    ],
    [
        "ssh host entry needs host key",
        { ...SSH_CLUSTER, ssh: { privateKey: KEY, hosts: [{ host: "a" }] } },
        "`burrow:ssh.hosts[0].hostKey` is required",
    ],
    [
        "ssh hosts with top-level host",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, host: "a" } },
        "`burrow:ssh.host` is set together with `burrow:ssh.hosts`",
    ],
    [
        "ssh replication factor over hosts",
        { ...SSH_CLUSTER, cluster: { replicationFactor: 3 } },
        "`burrow:cluster.replicationFactor` is 3; use a whole number from 1 to the node count (2, the hosts in `burrow:ssh.hosts`)",
    ],
    [
        "ssh cluster with tunnel",
        { ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, tunnel: true } },
        "`burrow:ssh.tunnel` cannot be combined with `burrow:ssh.hosts`",
    ],
    [
        "ssh too many hosts",
        {
            ...SSH_CLUSTER,
            ssh: { ...SSH_CLUSTER.ssh, hosts: Array.from({ length: 10 }, (_, i) => ({ host: `h${i}` })) },
        },
        "`burrow:ssh.hosts` lists 10 hosts; burrow builds clusters of 1 to 9",
    ],
    [
        "ssh adoptExisting not a choice",
        { target: "ssh", ssh: { host: "h", privateKey: KEY, insecureIgnoreHostKey: true, adoptExisting: "yes" } },
        '`burrow:ssh.adoptExisting` is "yes"; use false (refuse a RabbitMQ this stack did not install), true (adopt it; destroy keeps it) or "purge"',
    ],
    [
        "cluster port ranges overlap",
        { cluster: 3, amqpPort: 5000, managementPort: 5001 },
        "`burrow:managementPort` range",
    ],
    ["tls ports clash", { tls: { amqpsPort: 5672 } }, "`burrow:tls` ports must differ"],
    ["open-file limit too low", { openFileLimit: 100 }, "`burrow:openFileLimit` is 100; use a whole number"],
    ["open-file limit not a number", { openFileLimit: "many" }, "`burrow:openFileLimit`"],
    ["disk limit not a size", { diskFreeLimit: "lots" }, '`burrow:diskFreeLimit` is "lots"'],
    ["disk limit relative too big", { diskFreeLimit: 50 }, "`burrow:diskFreeLimit` is 50"],
    ["disk limit with a fraction of a unit", { diskFreeLimit: "1.5GB" }, "`burrow:diskFreeLimit`"],
    [
        "partition handling unknown",
        { cluster: 3, partitionHandling: "pause_if_all_down" },
        '`burrow:partitionHandling` is "pause_if_all_down"; allowed: pause_minority, autoheal, ignore',
    ],
    [
        "partition handling without a cluster",
        { partitionHandling: "autoheal" },
        "`burrow:partitionHandling` applies to a cluster; set `burrow:cluster`",
    ],
    ["metrics port zero", { metricsPort: 0 }, "`burrow:metricsPort` is 0"],
    ["metrics port on the AMQP port", { metricsPort: 5672 }, "`burrow:metricsPort` is 5672, also `burrow:amqpPort`"],
    [
        "metrics range overlaps the management range of a cluster",
        { cluster: 3, metricsPort: 15673 },
        "`burrow:metricsPort` range 15673-15675 overlaps the `burrow:managementPort` range",
    ],
    [
        "rabbitmqConf sets a listener burrow writes",
        { rabbitmqConf: { "listeners.tcp.default": 5673 } },
        "`burrow:rabbitmqConf.listeners.tcp.default` is written by burrow; set `burrow:amqpPort` instead",
    ],
    [
        "rabbitmqConf sets the disk limit",
        { rabbitmqConf: { disk_free_limit: { absolute: "1GB" } } },
        "`burrow:rabbitmqConf.disk_free_limit.absolute` is written by burrow; set `burrow:diskFreeLimit` instead",
    ],
    [
        "rabbitmqConf sets the watermark",
        { rabbitmqConf: { "vm_memory_high_watermark.relative": 0.5 } },
        "set `burrow:memoryHighWatermark` instead",
    ],
    [
        "rabbitmqConf sets the default user",
        { rabbitmqConf: { default_user: "bob" } },
        "`burrow:rabbitmqConf.default_user` is written by burrow; set `burrow:adminUser` instead",
    ],
    [
        "rabbitmqConf sets partition handling",
        { rabbitmqConf: { cluster_partition_handling: "ignore" } },
        "set `burrow:partitionHandling` instead",
    ],
    [
        "rabbitmqConf key with a space",
        { rabbitmqConf: { "bad key": 1 } },
        "`burrow:rabbitmqConf.bad key` is not a rabbitmq.conf key",
    ],
    [
        "rabbitmqConf value of two lines",
        { rabbitmqConf: { heartbeat: "30\nlisteners.tcp.default = 1" } },
        "`burrow:rabbitmqConf.heartbeat` is",
    ],
    ["rabbitmqConf not an object", { rabbitmqConf: "heartbeat=30" }, '`burrow:rabbitmqConf` is "heartbeat=30"'],
    [
        "advancedConfig without the closing dot",
        { advancedConfig: "[{rabbit, []}]" },
        "`burrow:advancedConfig` must be one Erlang list ending with a dot",
    ],
    ["advancedConfig not text", { advancedConfig: 7 }, "`burrow:advancedConfig` is 7"],
    [
        "envConfig sets the node name",
        { envConfig: { NODENAME: "rabbit@x" } },
        "`burrow:envConfig.NODENAME` is set by burrow; set `burrow:ssh.hosts[i].nodeName` instead",
    ],
    [
        "envConfig with the RABBITMQ_ prefix",
        { envConfig: { RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "+S 1" } },
        'without the RABBITMQ_ prefix: use "SERVER_ADDITIONAL_ERL_ARGS"',
    ],
    [
        "envConfig lower-case name",
        { envConfig: { foo: "x" } },
        "`burrow:envConfig.foo` is not a rabbitmq-env.conf name",
    ],
    ["envConfig value of two lines", { envConfig: { FOO: "a\nb" } }, "`burrow:envConfig.FOO`"],
    [
        "memory limit on the SSH target",
        { target: "ssh", ssh: { host: "h", privateKey: KEY, insecureIgnoreHostKey: true }, memoryLimitMb: 2048 },
        "`burrow:memoryLimitMb` applies to the Docker target",
    ],
    [
        "ssh access metrics port",
        { target: "ssh", ssh: { host: "h", privateKey: KEY, insecureIgnoreHostKey: true, accessMetricsPort: 0 } },
        "`burrow:ssh.accessMetricsPort`",
    ],
];

describe("production defaults (RabbitMQ's production checklist)", () => {
    it("asks for 65536 open files, a disk limit of 1.0x memory and metrics on managementPort+20", () => {
        const s = parseSettings({});
        expect(s.openFileLimit).toBe(65536);
        expect(s.diskFreeLimit).toEqual({ relative: 1 });
        expect(s.metricsPort).toBe(15692);
        expect(s.partitionHandling).toBeUndefined();
        expect(parseSettings({ managementPort: 16000 }).metricsPort).toBe(16020);
    });

    it("makes every cluster pause_minority, whatever its size (growing it restarts nothing); overridable", () => {
        expect(parseSettings({ cluster: 3 }).partitionHandling).toBe("pause_minority");
        expect(parseSettings({ cluster: 5 }).partitionHandling).toBe("pause_minority");
        expect(parseSettings({ cluster: 2 }).partitionHandling).toBe("pause_minority");
        expect(parseSettings({ cluster: 1 }).partitionHandling).toBe("pause_minority");
        expect(parseSettings({ cluster: 3, partitionHandling: "ignore" }).partitionHandling).toBe("ignore");
    });

    it("takes overrides as stack config strings: limits, absolute disk sizes, metrics off", () => {
        const s = parseSettings({ openFileLimit: "200000", diskFreeLimit: "2GB" });
        expect([s.openFileLimit, s.diskFreeLimit]).toEqual([200000, { absolute: "2GB" }]);
        expect(parseSettings({ diskFreeLimit: "1.5" }).diskFreeLimit).toEqual({ relative: 1.5 });
        expect(parseSettings({ diskFreeLimit: "1073741824" }).diskFreeLimit).toEqual({ absolute: "1073741824" });
        const off = parseSettings({ metricsPort: "false" });
        expect(off.metricsPort).toBeNull();
        expect(off.plugins).toEqual(["rabbitmq_management"]);
    });

    it("passes extra rabbitmq.conf keys (nested objects joined with dots), advanced.config and env entries", () => {
        const s = parseSettings({
            rabbitmqConf: {
                heartbeat: 30,
                consumer_timeout: "3600000",
                mqtt: { listeners: { tcp: { default: 1883 } } },
            },
            advancedConfig: "  [{rabbit, [{consumer_timeout, 3600000}]}].  ",
            envConfig: { SERVER_ADDITIONAL_ERL_ARGS: "+S 2:2", CTL_ERL_ARGS: 1 },
        });
        expect(s.rabbitmqConf).toEqual({
            heartbeat: "30",
            consumer_timeout: "3600000",
            "mqtt.listeners.tcp.default": "1883",
        });
        expect(s.advancedConfig).toBe("[{rabbit, [{consumer_timeout, 3600000}]}].\n");
        expect(s.envConfig).toEqual({ SERVER_ADDITIONAL_ERL_ARGS: "+S 2:2", CTL_ERL_ARGS: "1" });
    });

    it("names every refused passthrough key with the burrow key to use, all at once", () => {
        const found = problems({
            rabbitmqConf: { "listeners.ssl.default": 5671, "management.tcp.port": 1, load_definitions: "/x" },
            envConfig: { NODE_PORT: 1, ERLANG_COOKIE: "x" },
        });
        expect(found).toEqual([
            "`burrow:rabbitmqConf.listeners.ssl.default` is written by burrow; set `burrow:tls` instead",
            "`burrow:rabbitmqConf.management.tcp.port` is written by burrow; set `burrow:managementPort` instead",
            "`burrow:rabbitmqConf.load_definitions` is written by burrow; set `burrow:queues` instead (burrow imports users, vhosts, queues, exchanges, bindings and policies itself)",
            "`burrow:envConfig.NODE_PORT` is set by burrow; set `burrow:amqpPort` instead",
            "`burrow:envConfig.ERLANG_COOKIE` is set by burrow; set `burrow:cluster` instead (burrow generates the Erlang cookie)",
        ]);
    });
});

describe("cluster settings", () => {
    it("makes quorum queues the default with the replication factor, and warns on an even count", () => {
        const s = parseSettings({
            cluster: { nodes: 4, replicationFactor: 3 },
            queues: [
                "jobs",
                { name: "logs", type: "classic" },
                { name: "few", arguments: { "x-quorum-initial-group-size": 2 } },
            ],
        });
        expect(s.cluster).toEqual({ nodes: 4, replicationFactor: 3 });
        // The group size is how a queue starts, kept apart from its arguments (its identity).
        expect(s.queues.map((q) => [q.name, q.type, q.arguments])).toEqual([
            ["jobs", "quorum", {}],
            ["logs", "classic", {}],
            ["few", "quorum", { "x-quorum-initial-group-size": 2 }],
        ]);
        expect(quorumTargetSizes(s.cluster, s.queues)).toEqual({ jobs: 3, few: 2 });
        expect(quorumTargetSizes({ nodes: 2, replicationFactor: 2 }, s.queues)).toEqual({ jobs: 2, few: 2 });
        expect(s.warnings.join()).toContain("even number");
        expect(parseSettings({ cluster: 3 }).warnings).toEqual([]);
    });
});

describe("SSH cluster settings", () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG";
    it("makes one node per host of ssh.hosts, sharing user and key, with per-host ports, names and access addresses", () => {
        const s = parseSettings({
            target: "ssh",
            cluster: { replicationFactor: 3 },
            amqpPort: 5673,
            ssh: {
                user: "deploy",
                privateKey: KEY,
                port: 2200,
                hosts: [
                    { host: "10.0.0.1", hostKey },
                    {
                        host: "10.0.0.2",
                        port: 22,
                        hostKey,
                        nodeName: "rabbit@two",
                        accessHost: "127.0.0.1",
                        accessAmqpPort: 30002,
                        accessManagementPort: 31002,
                    },
                    { host: "node3", hostKey },
                ],
            },
        });
        expect(s.cluster).toEqual({ nodes: 3, replicationFactor: 3 });
        expect(s.warnings).toEqual([]);
        expect(s.ssh?.hosts).toEqual([
            {
                host: "10.0.0.1",
                port: 2200,
                hostKey,
                nodeName: "",
                accessHost: "10.0.0.1",
                accessAmqpPort: 5673,
                accessManagementPort: 15672,
                accessMetricsPort: 15692,
            },
            {
                host: "10.0.0.2",
                port: 22,
                hostKey,
                nodeName: "rabbit@two",
                accessHost: "127.0.0.1",
                accessAmqpPort: 30002,
                accessManagementPort: 31002,
                accessMetricsPort: 15692,
            },
            {
                host: "node3",
                port: 2200,
                hostKey,
                nodeName: "",
                accessHost: "node3",
                accessAmqpPort: 5673,
                accessManagementPort: 15672,
                accessMetricsPort: 15692,
            },
        ]);
        // The top-level fields describe host 1, where burrow administers the cluster.
        expect(s.ssh).toMatchObject({
            host: "10.0.0.1",
            port: 2200,
            user: "deploy",
            privateKey: KEY,
            tunnel: false,
            accessHost: "10.0.0.1",
        });
    });

    it("reads ssh.hosts from the JSON text that `config set --path burrow:ssh.hosts '[...]'` stores", () => {
        const s = parseSettings({
            target: "ssh",
            cluster: "true",
            ssh: {
                privateKey: KEY,
                hosts: JSON.stringify([
                    { host: "a", hostKey },
                    { host: "b", hostKey },
                    { host: "c", hostKey },
                ]),
            },
        });
        expect(s.cluster).toEqual({ nodes: 3, replicationFactor: 3 });
        expect(s.ssh?.hosts.map((h) => h.host)).toEqual(["a", "b", "c"]);
    });

    it("accepts a count that agrees with the hosts, and warns on an even number of hosts", () => {
        const s = parseSettings({ ...SSH_CLUSTER, cluster: { nodes: 2 } });
        expect(s.cluster).toEqual({ nodes: 2, replicationFactor: 2 });
        expect(s.warnings.join()).toContain("`burrow:ssh.hosts` lists 2 hosts, an even number");
    });

    it("refuses a foreign RabbitMQ by default; ssh.adoptExisting takes true, false or purge (also as CLI text)", () => {
        const ssh = { host: "h", privateKey: KEY, insecureIgnoreHostKey: true };
        expect(parseSettings({ target: "ssh", ssh }).ssh?.adoptExisting).toBe(false);
        expect(parseSettings({ target: "ssh", ssh: { ...ssh, adoptExisting: true } }).ssh?.adoptExisting).toBe(true);
        expect(parseSettings({ target: "ssh", ssh: { ...ssh, adoptExisting: "true" } }).ssh?.adoptExisting).toBe(true);
        expect(parseSettings({ target: "ssh", ssh: { ...ssh, adoptExisting: "purge" } }).ssh?.adoptExisting).toBe(
            "purge",
        );
        expect(
            parseSettings({ ...SSH_CLUSTER, ssh: { ...SSH_CLUSTER.ssh, adoptExisting: "false" } }).ssh?.adoptExisting,
        ).toBe(false);
    });

    it("keeps the single-host form unchanged, as a one-host list", () => {
        const s = parseSettings({ target: "ssh", ssh: { host: "h", privateKey: KEY, hostKey } });
        expect(s.cluster).toBeUndefined();
        expect(s.ssh).toMatchObject({
            host: "h",
            port: 22,
            user: "root",
            hostKey,
            accessHost: "h",
            accessAmqpPort: 5672,
        });
        expect(s.ssh?.hosts).toEqual([
            {
                host: "h",
                port: 22,
                hostKey,
                nodeName: "",
                accessHost: "h",
                accessAmqpPort: 5672,
                accessManagementPort: 15672,
                accessMetricsPort: 15692,
            },
        ]);
    });
});

describe("parseSettings rejects bad input, naming the key", () => {
    it.each(BAD)("%s", (_label, raw, expected) => {
        const found = problems(raw);
        expect(found.join("\n")).toContain(expected);
    });

    it(`covers at least 30 kinds of mistake (has ${BAD.length}), every one rejected`, () => {
        expect(BAD.length).toBeGreaterThanOrEqual(30);
        const rejected = BAD.filter(([, raw]) => {
            try {
                parseSettings(raw);
                return false;
            } catch {
                return true;
            }
        }).length;
        recordFigure("bad-input.configurations-rejected", rejected, BAD.length);
        expect(rejected).toBe(BAD.length);
    });

    it("reports every problem at once, and the message says nothing was created and how to fix", () => {
        try {
            parseSettings({ amqpPort: 0, queues: [{ name: "" }], debianRelease: "sid" });
            expect.unreachable();
        } catch (e) {
            const err = e as SettingsError;
            expect(err.problems).toHaveLength(3);
            expect(err.message).toContain("nothing was created");
            expect(err.message).toContain("config set burrow:");
        }
    });
});

describe("config keys that hold secrets", () => {
    const plain = (raw: RawConfig, secret: string[]) => {
        try {
            parseSettings(raw, "config", undefined, new Set(secret));
            return [];
        } catch (e) {
            return (e as SettingsError).problems;
        }
    };
    it("must be set with --secret: passwords and private keys would sit in plain text in the stack file and state", () => {
        const users = [{ name: "app", password: "app-password-1" }];
        expect(plain({ users }, [])).toEqual([
            expect.stringMatching(/^`burrow:users` holds passwords but is not a secret: .*--secret/),
        ]);
        expect(plain({ users }, ["users"])).toEqual([]);
        expect(plain({ adminPassword: "admin-password-1" }, [])[0]).toMatch(/^`burrow:adminPassword` holds a password/);
        expect(plain({ users: [{ name: "app" }] }, [])).toEqual([]); // a generated password is never in config
    });
    it("keepData must not be a secret: a destroy reads it from the stack's config file", () => {
        expect(plain({ keepData: "false" }, ["keepData"])).toEqual([
            expect.stringMatching(/^`burrow:keepData` is a secret, which a destroy cannot read .*without --secret/),
        ]);
        expect(plain({ keepData: "true" }, [])).toEqual([]);
    });
});
