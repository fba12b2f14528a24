import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import {
    RemoteRabbitmqInputs,
    installScript,
    remoteRabbitmqProvider,
} from "../../components/providers/remote-rabbitmq";

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
    it("for cluster host 3: lists hosts 1..3 as peers (itself by the name the host resolves) and fixes NODENAME", () => {
        const script = installScript(third, fresh, ["rabbit@one", "rabbit@two"]);
        expect(script).toContain("cluster_formation.peer_discovery_backend = classic_config\n");
        expect(script).toContain(
            "cluster_formation.classic_config.nodes.1 = rabbit@one\ncluster_formation.classic_config.nodes.2 = rabbit@two\n",
        );
        expect(script).toContain(`printf 'cluster_formation.classic_config.nodes.%s = %s\\n' 3 "$node"`);
        expect(script).toContain(`[ -n "$node" ] || node="rabbit@$(hostname -s)"`);
        expect(script).toContain(`printf 'NODENAME=%s\\n' "$node" | write /etc/rabbitmq/rabbitmq-env.conf 0644`);
        expect(script).toContain(`grep -qF '"rabbit@one"'`);
        // Valid bash, as it is sent.
        execFileSync("bash", ["-n"], { input: script });
    });

    it("for cluster host 3: a first boot starts the service only once host 1's node is registered with epmd there", () => {
        const script = installScript(third, fresh, ["rabbit@one", "rabbit@two"]);
        const wait = script.indexOf(`if [ ! -d "/var/lib/rabbitmq/mnesia/$node" ]; then\n  first='rabbit@one'`);
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThan(script.indexOf(`step "start the service"`));
        expect(script).toContain(`grep -q "^name \${first%%@*} at port"`);
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
