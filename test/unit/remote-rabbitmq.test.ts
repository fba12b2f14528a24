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
    loopbackOnly: false,
    cluster: null,
};
const third = { ...base, cluster: { nodeName: "", peers: ["rabbit@one", "rabbit@two"], forgetVia: base.ssh } };

describe("RemoteRabbitmq install script", () => {
    it("for cluster host 3: lists hosts 1..3 as peers (itself by the name the host resolves) and fixes NODENAME", () => {
        const script = installScript(third);
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

    it("for a single broker: no cluster lines, no node name file", () => {
        const script = installScript(base);
        expect(script).not.toContain("cluster_formation");
        expect(script).not.toContain("rabbitmq-env.conf");
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

    it("replaces a node whose name changes, and updates one whose peers change", async () => {
        const olds = {
            ...third,
            nodeId: "n",
            node: "rabbit@three",
            rabbitmqVersion: "",
            installedRabbitmqVersion: "",
            installedErlangVersion: "",
            openFiles: 20000,
        };
        expect(
            await remoteRabbitmqProvider.diff!("id", olds, {
                ...third,
                cluster: { ...third.cluster, nodeName: "rabbit@other" },
            }),
        ).toEqual({ changes: true, replaces: ["cluster"] });
        expect(
            await remoteRabbitmqProvider.diff!("id", olds, {
                ...third,
                cluster: { ...third.cluster, peers: ["rabbit@one"] },
            }),
        ).toEqual({ changes: true, replaces: [] });
    });
});
