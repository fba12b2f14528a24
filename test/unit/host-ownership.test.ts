// The SSH host's ownership decisions (lib/host-ownership.ts) and the scripts made from them,
// without a host: what is foreign, what burrow may remove, what a replacement leaves alone.
import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import {
    ForeignRabbitmqError,
    HostFacts,
    InstalledPackage,
    parseFacts,
    planInstall,
    planRemoval,
    removablePackages,
} from "../../lib/host-ownership";
import {
    RemoteRabbitmqInputs,
    remoteRabbitmqProvider,
    uninstallScript,
} from "../../components/providers/remote-rabbitmq";

const OWNER = "0123456789abcdef";
const want = { owner: OWNER, installId: "install-1", adoptExisting: false as const, claim: false };
const WHERE = { host: "10.0.0.3", port: 22 };
const empty: HostFacts = { hostname: "mq1", packages: [], hasData: false, running: false };
const marker = (m: Partial<NonNullable<HostFacts["marker"]>> = {}) => ({
    owner: OWNER,
    install: "install-1",
    adopted: false,
    adoptedRunning: false,
    node: "rabbit@mq1",
    ...m,
});
const pkg = (name: string, depends: string[] = [], provides: string[] = []): InstalledPackage => ({
    name,
    depends,
    provides,
});

describe("reading a host's facts", () => {
    it("parses the marker, burrow's package list, rabbitmq-server's state and every installed package", () => {
        const out = [
            "@@hostname",
            "mq1",
            "@@marker",
            "owner=abc",
            "install=i-1",
            "adopted=1",
            "adoptedRunning=0",
            "node=rabbit@mq1",
            "@@packages",
            "erlang-base",
            "rabbitmq-server",
            "@@rabbitmq",
            "ii |4.0.5-6+deb13u2",
            "@@data",
            "yes",
            "@@running",
            "@@installed",
            "ii \trabbitmq-server\tadduser, erlang-base | erlang-base-hipe, erlang-crypto (>= 1:27.0), python3:any\t\t",
            "ii \terlang-base\tlibc6 (>= 2.38)\t\terlang-abi-17.0, erlang-base-any",
            "rc \told-thing\t\t\t",
            "",
        ].join("\n");
        expect(parseFacts(out)).toEqual({
            hostname: "mq1",
            marker: { owner: "abc", install: "i-1", adopted: true, adoptedRunning: false, node: "rabbit@mq1" },
            packages: ["erlang-base", "rabbitmq-server"],
            rabbitmq: { installed: true, version: "4.0.5-6+deb13u2" },
            hasData: true,
            running: false,
            installed: [
                pkg("rabbitmq-server", ["adduser", "erlang-base", "erlang-base-hipe", "erlang-crypto", "python3"]),
                pkg("erlang-base", ["libc6"], ["erlang-abi-17.0", "erlang-base-any"]),
            ],
        });
    });

    it("sees a package removed with its configuration kept (rc) as not installed, and no marker as none", () => {
        const f = parseFacts("@@hostname\nh\n@@marker\n@@packages\n@@rabbitmq\nrc |4.0.5\n@@data\n@@running\nyes\n");
        expect(f).toMatchObject({ marker: undefined, rabbitmq: { installed: false }, running: true });
        expect(f.installed).toBeUndefined();
    });
});

describe("install: whose RabbitMQ is on the host", () => {
    it("installs on a host with nothing of RabbitMQ", () => {
        expect(planInstall(empty, want, WHERE).origin).toBe("fresh");
        // Configuration files left by a purge-less removal are not a broker.
        expect(planInstall({ ...empty, rabbitmq: { installed: false, version: "4.0.5" } }, want, WHERE).origin).toBe(
            "fresh",
        );
    });

    it("takes over this stack's own install: another resource of it (a host turned into ssh.hosts), or its kept data", () => {
        const f = { ...empty, marker: marker({ install: "install-0" }), rabbitmq: { installed: true, version: "4" } };
        expect(planInstall(f, want, WHERE)).toEqual({ origin: "ours", adopted: false, adoptedRunning: false });
        const kept = { ...empty, marker: marker({ install: "install-0" }), hasData: true };
        expect(planInstall(kept, want, WHERE).origin).toBe("ours");
        // An adoption stays one across re-runs.
        const adopted = { ...f, marker: marker({ adopted: true, adoptedRunning: true }) };
        expect(planInstall(adopted, want, WHERE)).toEqual({ origin: "ours", adopted: true, adoptedRunning: true });
    });

    it("knows its install by the install id in the state, even after the stack moved to another backend", () => {
        const f = { ...empty, marker: marker({ owner: "other-backend" }), rabbitmq: { installed: true, version: "4" } };
        expect(planInstall(f, want, WHERE).origin).toBe("ours");
    });

    it.each([
        [
            "rabbitmq-server installed without a marker",
            { ...empty, rabbitmq: { installed: true, version: "3.12.1-1" } },
            "rabbitmq-server 3.12.1-1 is installed and /etc/burrow/owner is absent",
        ],
        [
            "another stack's marker",
            { ...empty, marker: marker({ owner: "fedcba9876543210", install: "x" }) },
            "another burrow stack (owner fedcba9876543210) installed it",
        ],
        ["a node's data without a marker", { ...empty, hasData: true }, "/var/lib/rabbitmq/mnesia holds a node's data"],
    ])("refuses a foreign RabbitMQ (%s), naming the host, what it found and the consent key", (_l, f, found) => {
        let err: Error | undefined;
        try {
            planInstall(f, want, WHERE);
        } catch (e) {
            err = e as Error;
        }
        expect(err).toBeInstanceOf(ForeignRabbitmqError);
        expect(err?.message).toContain(
            "host 10.0.0.3:22 (hostname mq1) already has a RabbitMQ that this stack did not install",
        );
        expect(err?.message).toContain(found);
        expect(err?.message).toContain("burrow changed nothing on it");
        expect(err?.message).toContain("`pulumi config set --path burrow:ssh.adoptExisting true`");
    });

    it("adopts a foreign RabbitMQ only with consent, remembering whether it ran", () => {
        const f = { ...empty, rabbitmq: { installed: true, version: "4" }, running: true };
        expect(planInstall(f, { ...want, adoptExisting: true }, WHERE)).toEqual({
            origin: "adopt",
            adopted: true,
            adoptedRunning: true,
        });
        expect(planInstall(f, { ...want, adoptExisting: "purge" }, WHERE).origin).toBe("adopt");
    });

    it("claims the install of a state written before markers, but never another stack's", () => {
        const f = { ...empty, rabbitmq: { installed: true, version: "4" } };
        expect(planInstall(f, { ...want, claim: true }, WHERE).origin).toBe("ours");
        expect(() =>
            planInstall({ ...f, marker: marker({ owner: "x", install: "y" }) }, { ...want, claim: true }, WHERE),
        ).toThrow(ForeignRabbitmqError);
    });
});

describe("what destroy may remove", () => {
    const installed = [
        pkg("rabbitmq-server", ["erlang-base", "python3", "socat"]),
        pkg("erlang-base", ["libc6"], ["erlang-abi-17.0"]),
        pkg("python3", ["libpython3-stdlib"]),
        pkg("libpython3-stdlib", ["libc6"]),
        pkg("socat", ["libc6"]),
        pkg("libc6"),
    ];
    const ours = ["erlang-base", "libpython3-stdlib", "python3", "rabbitmq-server"];

    it("removes exactly what burrow installed, not a dependency that was there before", () => {
        expect(removablePackages(installed, ours)).toEqual({ remove: ours, keep: [] });
    });

    it("keeps a package of burrow's that something installed later needs, and what that one needs", () => {
        const later = [...installed, pkg("python3-six", ["python3"])];
        expect(removablePackages(later, ours)).toEqual({
            remove: ["erlang-base", "rabbitmq-server"],
            keep: ["libpython3-stdlib", "python3"],
        });
    });

    it("counts a dependency on a virtual package the candidate provides, and alternatives", () => {
        const later = [...installed, pkg("elixir", ["erlang-abi-17.0"])];
        expect(removablePackages(later, ours).keep).toEqual(["erlang-base"]);
    });

    it("ignores listed packages that are no longer installed", () => {
        expect(removablePackages(installed, ["rabbitmq-server", "gone-already"])).toEqual({
            remove: ["rabbitmq-server"],
            keep: [],
        });
    });

    const own = { installId: "install-1", keepData: false, adoptExisting: false as const };
    const host = (m = marker()): HostFacts => ({
        ...empty,
        marker: m,
        packages: ours,
        rabbitmq: { installed: true, version: "4" },
        installed,
    });

    it("leaves a box that a newer install (a replacement) has taken over, telling its node", () => {
        expect(planRemoval(host(marker({ install: "install-2", node: "rabbit@new" })), own)).toEqual({
            kind: "superseded",
            currentNode: "rabbit@new",
        });
    });

    it("leaves a RabbitMQ without a marker, and does nothing where nothing is left", () => {
        expect(planRemoval({ ...host(), marker: undefined }, own).kind).toBe("not-ours");
        expect(planRemoval({ ...empty, installed }, own)).toEqual({ kind: "gone" });
    });

    it("purges its own install, or with keepData uninstalls and keeps data and marker", () => {
        expect(planRemoval(host(), own)).toEqual({
            kind: "remove",
            packages: ours,
            kept: [],
            purge: true,
            restore: false,
            keepMarker: false,
        });
        expect(planRemoval(host(), { ...own, keepData: true })).toMatchObject({
            kind: "remove",
            purge: false,
            keepMarker: true,
        });
    });

    it("never removes an adopted RabbitMQ unless told to purge it", () => {
        const adopted = { ...host(marker({ adopted: true })), packages: [] };
        expect(planRemoval(adopted, { ...own, adoptExisting: true })).toEqual({
            kind: "remove",
            packages: [],
            kept: [],
            purge: false,
            restore: true,
            keepMarker: false,
        });
        expect(planRemoval(adopted, { ...own, adoptExisting: "purge" })).toMatchObject({
            packages: ["rabbitmq-server"],
            purge: true,
            restore: false,
        });
    });

    it("for a state written before markers: only rabbitmq-server and erlang-nox by name", () => {
        const legacy = { ...host(), marker: undefined, packages: [] };
        expect(planRemoval(legacy, { ...own, installId: undefined })).toMatchObject({
            kind: "remove",
            packages: ["rabbitmq-server"],
            purge: true,
        });
    });
});

describe("the remove script", () => {
    const plan = {
        kind: "remove" as const,
        packages: ["erlang-base", "rabbitmq-server"],
        kept: ["python3"],
        purge: true,
        restore: false,
        keepMarker: false,
    };
    const variants = [
        plan,
        { ...plan, purge: false, keepMarker: true },
        { ...plan, packages: [], purge: false, restore: true },
    ];

    it("is valid bash in every variant, and never autoremoves", () => {
        for (const p of variants) {
            const script = uninstallScript("install-1", p);
            execFileSync("bash", ["-n"], { input: script });
            expect(script).not.toContain("autoremove");
        }
    });

    it("checks the marker is still its own, removes exactly the planned packages and fails with the host named", () => {
        const script = uninstallScript("install-1", plan);
        expect(script).toContain(`grep -qxF 'install=install-1' /etc/burrow/owner`);
        expect(script).toContain(`apt-get -s purge 'erlang-base' 'rabbitmq-server'`);
        expect(script).toMatch(
            /apt-get purge -y -qq -o DPkg::Lock::Timeout=\d+ 'erlang-base' 'rabbitmq-server' \|\| fail/,
        );
        expect(script).toContain(`on host $(hostname); nothing more was removed`);
        expect(script).toContain("rm -rf /var/lib/rabbitmq /etc/rabbitmq");
    });

    it("with keepData only uninstalls, keeps the data and leaves the marker with what it kept", () => {
        const script = uninstallScript("install-1", variants[1]);
        expect(script).toContain("apt-get remove -y");
        expect(script).not.toContain("rm -rf /var/lib/rabbitmq");
        expect(script).toContain(`printf '%s\\n' 'python3' | grep . > /etc/burrow/packages`);
        expect(script).not.toContain("rm -rf /etc/burrow");
    });

    it("for an adopted RabbitMQ puts its files back instead of removing it", () => {
        const script = uninstallScript("install-1", variants[2]);
        expect(script).not.toContain("apt-get purge");
        expect(script).not.toContain("rm -rf /var/lib/rabbitmq");
        expect(script).toContain(`tar -C / -xpf "$tar"`);
    });
});

describe("RemoteRabbitmq diff: re-addressed or replaced", () => {
    const base: RemoteRabbitmqInputs = {
        ssh: { host: "127.0.0.1", port: 1, user: "root", privateKey: "k", insecureIgnoreHostKey: true },
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
        owner: OWNER,
        adoptExisting: false,
        loopbackOnly: false,
        cluster: null,
    };
    const olds = {
        ...base,
        installId: "install-1",
        adopted: false,
        nodeId: "n",
        node: "",
        installedRabbitmqVersion: "",
        installedErlangVersion: "",
    };

    it("replaces a node moved to an address where its install is not found (here: nothing answers)", async () => {
        const moved = { ...base, ssh: { ...base.ssh, host: "localhost" } };
        expect(await remoteRabbitmqProvider.diff!("id", olds, moved)).toEqual({ changes: true, replaces: ["ssh"] });
    });

    it("updates in place a node that joins cluster mode under the same name, and replaces a renamed one", async () => {
        const asCluster = { ...base, cluster: { nodeName: "", earlier: [], forgetVia: null } };
        expect(await remoteRabbitmqProvider.diff!("id", olds, asCluster)).toEqual({ changes: true, replaces: [] });
        const renamed = { ...base, cluster: { nodeName: "rabbit@other", earlier: [], forgetVia: null } };
        expect(await remoteRabbitmqProvider.diff!("id", olds, renamed)).toEqual({
            changes: true,
            replaces: ["cluster"],
        });
    });

    it("records the stack's name in a state written before it (an update that never reaches the host)", async () => {
        const withStack = { ...base, stack: "dev" };
        expect(await remoteRabbitmqProvider.diff!("id", olds, withStack)).toEqual({ changes: true, replaces: [] });
        expect(await remoteRabbitmqProvider.diff!("id", { ...olds, stack: "dev" }, withStack)).toEqual({
            changes: false,
            replaces: [],
        });
        // Port 1 on 127.0.0.1: an update that tried to reach the host would fail.
        const r = await remoteRabbitmqProvider.update!("id", olds, withStack);
        expect(r.outs).toEqual({ ...olds, stack: "dev", allowDataLoss: undefined });
    });

    it("treats a new owner id or adoption policy as an update", async () => {
        expect(await remoteRabbitmqProvider.diff!("id", olds, { ...base, owner: "moved-backend" })).toEqual({
            changes: true,
            replaces: [],
        });
    });
});
