import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import {
    RemoteRabbitmqInputs,
    installScript,
    remoteRabbitmqProvider,
} from "../../components/providers/remote-rabbitmq";
import { PEER_DISCOVERY } from "../../lib/node-config";

const base: RemoteRabbitmqInputs = {
    ssh: { host: "10.0.0.3", port: 22, user: "root", privateKey: "k" },
    aptSources: [],
    rabbitmqVersion: "",
    plugins: ["rabbitmq_management"],
    amqpPort: 5672,
    managementPort: 15672,
    memoryHighWatermark: 0.6,
    nodeConfig: {
        metricsPort: 15692,
        openFileLimit: 65536,
        diskFreeLimit: { relative: 1 },
        partitionHandling: "",
        rabbitmqConf: {},
        advancedConfig: "",
        envConfig: {},
    },
    erlangCookie: "cookie",
    keepData: false,
    owner: "0123456789abcdef",
    adoptExisting: false,
    loopbackOnly: false,
    cluster: null,
};
const fresh = { origin: "fresh" as const, adopted: false, adoptedRunning: false, installId: "install-1" };
const third = {
    ...base,
    cluster: {
        nodeName: "",
        earlier: [
            { ssh: base.ssh, nodeName: "rabbit@one" },
            { ssh: base.ssh, nodeName: "rabbit@two" },
        ],
        forgetVia: base.ssh,
    },
};

describe("RemoteRabbitmq install script", () => {
    it("for cluster host 3: lists host 1 and itself as peers (by the name the host resolves) and fixes NODENAME", () => {
        const script = installScript(third, fresh, ["rabbit@one", "rabbit@two"]);
        expect(script).toContain(`[ -n "$node" ] || node="rabbit@$(hostname -s)"`);
        expect(script).toContain(`printf 'NODENAME=%s\\n' "$node" | write /etc/rabbitmq/rabbitmq-env.conf 0644`);
        // Every earlier name is checked against this node's.
        expect(script).toContain(`for peer in 'rabbit@one' 'rabbit@two'; do`);
        expect(script).toContain(`grep -qF '"rabbit@one"'`);
        // Valid bash, as it is sent.
        execFileSync("bash", ["-n"], { input: script });
    });

    /** Runs the script's rabbitmq.conf part with its paths under a temporary root; returns what it would write. */
    function confFor(peers: string[], existing?: { conf: string; data: boolean }): string {
        const script = installScript(third, fresh, peers);
        const start = script.indexOf("{ cat <<'CONF'");
        const end = script.indexOf("| write /etc/rabbitmq/rabbitmq.conf 0644");
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-conf-"));
        try {
            fs.mkdirSync(path.join(root, "etc/rabbitmq"), { recursive: true });
            if (existing) fs.writeFileSync(path.join(root, "etc/rabbitmq/rabbitmq.conf"), existing.conf);
            if (existing?.data)
                fs.mkdirSync(path.join(root, "var/lib/rabbitmq/mnesia/rabbit@three"), { recursive: true });
            const part = script
                .slice(start, end)
                .replaceAll("/etc/rabbitmq", `${root}/etc/rabbitmq`)
                .replaceAll("/var/lib/rabbitmq", `${root}/var/lib/rabbitmq`);
            return execFileSync("bash", ["-c", `node=rabbit@three\n${part}`], { encoding: "utf8" });
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }

    it("writes a first boot's peer discovery: host 1's node, then this one, with retries that outlast any boot", () => {
        const conf = confFor(["rabbit@one", "rabbit@two"]);
        expect(conf).toContain("listeners.tcp.default = 5672\n");
        expect(conf).toContain(
            [
                ...PEER_DISCOVERY,
                "cluster_formation.classic_config.nodes.1 = rabbit@one",
                "cluster_formation.classic_config.nodes.2 = rabbit@three",
                "",
            ].join("\n"),
        );
        expect(conf).not.toContain("rabbit@two");
        expect(PEER_DISCOVERY).toContain("cluster_formation.discovery_retry_limit = 600");
        // A node whose data is gone (a reinstall) boots for the first time again: the new list.
        expect(
            confFor(["rabbit@one"], { conf: "cluster_formation.classic_config.nodes.9 = x\n", data: false }),
        ).toContain("cluster_formation.classic_config.nodes.2 = rabbit@three\n");
    });

    it("keeps the peer discovery lines a node with data booted with, so a new list never restarts it", () => {
        const booted = [
            "listeners.tcp.default = 5672",
            "cluster_formation.peer_discovery_backend = classic_config",
            "cluster_formation.discovery_retry_limit = 60",
            "cluster_formation.discovery_retry_interval = 1000",
            "cluster_formation.classic_config.nodes.1 = rabbit@one",
            "cluster_formation.classic_config.nodes.2 = rabbit@two",
            "cluster_formation.classic_config.nodes.3 = rabbit@three",
            "",
        ];
        const conf = confFor(["rabbit@one", "rabbit@two"], { conf: booted.join("\n"), data: true });
        expect(conf.split("\n").filter((l) => l.startsWith("cluster_formation."))).toEqual(booted.slice(1, -1));
    });

    it("for cluster host 3: a first boot starts the service only once host 1's node is registered with epmd there", () => {
        const script = installScript(third, fresh, ["rabbit@one", "rabbit@two"]);
        const wait = script.indexOf(`if ! running; then\n  first='rabbit@one'`);
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThan(script.indexOf(`step "start the service"`));
        expect(script).toContain(`grep -q "^name \${first%%@*} at port"`);
        // A first boot waits up to 600 s and fails after; a node with data waits a minute, then starts.
        expect(script).toContain(
            `if [ -d "/var/lib/rabbitmq/mnesia/$node" ]; then fresh=0; limit=60; else fresh=1; limit=600; fi`,
        );
        // From 3.13: no wait for host 1's boot, but for this host's clock to pass host 1's node's start.
        expect(script).toContain(`erlang:system_info(start_time) + erlang:time_offset()`);
        expect(script).toContain(`until [ "$(date +%s%6N)" -gt $((t + 500000)) ]; do`);
        // Host 1 waits for no one.
        const first = installScript(
            { ...third, cluster: { ...third.cluster, earlier: [], forgetVia: null } },
            fresh,
            [],
        );
        expect(first).not.toContain("/dev/tcp/");
        execFileSync("bash", ["-n"], { input: first });
    });

    it("for a single broker: no cluster lines, no node name file", () => {
        const script = installScript(base, fresh);
        expect(script).not.toContain("cluster_formation");
        // No node name of its own: it keeps the one it has (a cluster's, when ssh.hosts turns back into ssh.host).
        expect(script).not.toContain("write /etc/rabbitmq/rabbitmq-env.conf");
        execFileSync("bash", ["-n"], { input: script });
    });
});

describe("RemoteRabbitmq diff", () => {
    it("sees no change for a single-host state written before `cluster` existed", async () => {
        const { cluster: _c, ...old } = base;
        expect(
            await remoteRabbitmqProvider.diff!(
                "id",
                {
                    ...old,
                    nodeId: "n",
                    node: "",
                    rabbitmqVersion: "",
                    installedRabbitmqVersion: "",
                    installedErlangVersion: "",
                    openFiles: 0,
                } as never,
                base,
            ),
        ).toEqual({ changes: false, replaces: [] });
    });

    it("refuses to rename a node without consent (its data stays under the old name), replaces it with consent, and updates one whose earlier hosts change", async () => {
        const olds = {
            ...third,
            nodeId: "n",
            node: "rabbit@three",
            rabbitmqVersion: "",
            installedRabbitmqVersion: "",
            installedErlangVersion: "",
            openFiles: 20000,
        };
        const renamed = { ...third, cluster: { ...third.cluster, nodeName: "rabbit@other" } };
        await expect(remoteRabbitmqProvider.diff!("id", olds, renamed)).rejects.toThrow(
            /node rabbit@three on .*renamed to rabbit@other: the new node starts empty[\s\S]*allowDataLoss '\["node rabbit@three"\]'/,
        );
        expect(
            await remoteRabbitmqProvider.diff!("id", olds, { ...renamed, allowDataLoss: ["node rabbit@three"] }),
        ).toEqual({ changes: true, replaces: ["cluster"] });
        expect(
            await remoteRabbitmqProvider.diff!("id", olds, {
                ...third,
                cluster: { ...third.cluster, earlier: third.cluster.earlier.slice(0, 1) },
            }),
        ).toEqual({ changes: true, replaces: [] });
    });
});

describe("RemoteRabbitmq install script: ownership", () => {
    const as = (origin: "fresh" | "ours" | "adopt", adopted = origin === "adopt") => ({
        origin,
        adopted,
        adoptedRunning: adopted,
        installId: "install-7",
    });

    it("marks the host with the owner and this install's id before installing anything", () => {
        const script = installScript(base, as("fresh"));
        const mark = script.indexOf("> /etc/burrow/owner.new");
        expect(mark).toBeGreaterThan(0);
        expect(mark).toBeLessThan(script.indexOf("apt-get install"));
        expect(script).toContain(`'0123456789abcdef' 'install-7' 0 0 "$node"`);
    });

    it("owns only what apt adds: the list of installed packages before, kept across a failed attempt", () => {
        const script = installScript(base, as("fresh"));
        expect(script).toContain("[ -s /etc/burrow/packages-before ] || installed > /etc/burrow/packages-before");
        expect(script).toContain("installed | comm -13 /etc/burrow/packages-before -");
        expect(script).toContain(": > /etc/burrow/packages"); // a fresh or adopted install starts an empty list
        expect(installScript(base, as("ours"))).toContain("touch /etc/burrow/packages"); // ours keeps its list
    });

    it("saves an adopted RabbitMQ's files once, and only when adopting", () => {
        const script = installScript(base, as("adopt"));
        expect(script).toContain("if [ ! -e /etc/burrow/adopted.tar ]; then");
        expect(script).toContain("var/lib/rabbitmq/.erlang.cookie etc/burrow/owner");
        expect(script).toContain("(umask 077 && tar -C / -cpf /etc/burrow/adopted.tar.new"); // the cookie inside
        expect(script).toContain(`'0123456789abcdef' 'install-7' 1 1 "$node"`);
        expect(installScript(base, as("ours", true))).not.toContain("adopted.tar");
        execFileSync("bash", ["-n"], { input: script });
    });

    it("stops a running node with the files it started with before the new ones go in", () => {
        const script = installScript(third, as("ours"));
        expect(script).toContain("shopt -s lastpipe");
        const stop = script.indexOf(`rabbitmqctl -q -n "$prev" stop`);
        expect(stop).toBeGreaterThan(0);
        expect(stop).toBeLessThan(script.indexOf(`mv -f "$f.burrow-new" "$f"`));
        expect(script).toContain(`getent hosts "\${node#*@}"`);
    });
});
