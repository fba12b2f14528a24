// `npm run bench`: how fast burrow stands a broker up, each figure beside its floor (the same
// job with nothing around it) or a peer tool, in ONE run on one machine, so the figures are
// ratios of neighbours. Writes bench/results/latest.{json,md,svg}. Numbers only: nothing
// here asserts a target.
//
// Every burrow figure is what a user times: the pulumi CLI (or `npm run up`) on a stack in the
// project's own backend with the project's passphrase file (bench/user-stack.ts). The
// Automation API rows are for programs that drive Pulumi (the tests); they are labelled so.
//
//   BENCH_REPEATS=3               repeats of each short timed step (min/median/max)
//   BENCH_TOPOLOGY=1000,10000     queue+binding counts for the big-topology section
//   BENCH_ONLY=docker,ssh,...     run only these sections (default: all, in this order):
//                                 docker, wrapper, topology, ssh, cluster, bootstrap
//   npm run bench -- --readme     also write the results table into README.md (its bench markers)
import * as fs from "fs";
import * as path from "path";
import { docker } from "../lib/exec";
import { runSmoke } from "../lib/smoke";
import { waitReady } from "../components/providers/rabbitmq-container";
import { createTestStack, freePort } from "../test/integration/harness";
import { sshHostEntry, startSshHost } from "../test/integration/ssh-host";
import { ed25519KeyPair } from "../test/ssh-keys";
import { ANSIBLE_VERSION, QUEUES, ansibleProject, ansibleVenv } from "./ansible";
import { aptSeconds } from "./apt-history";
import { MemoryPeaks } from "./memory";
import { RunResult, run, timeIt } from "./proc";
import { Report } from "./report";
import { FLOOR_PROGRAM, FLOOR_PROJECT, TOPOLOGY_PROJECT, definitions, management, topologyProgram } from "./topology";
import { ROOT, UserStack, changesIn } from "./user-stack";

const SECTIONS = ["docker", "wrapper", "topology", "ssh", "cluster", "bootstrap"] as const;
type Section = (typeof SECTIONS)[number];
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const SIZES = (process.env.BENCH_TOPOLOGY ?? "1000,10000")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
const ONLY = (process.env.BENCH_ONLY || SECTIONS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const PASSWORD = "bench-Password-123";
const ID = Date.now().toString(36);
const report = new Report();
const s = (ms: number) => ms / 1000;
/** Wall and CPU seconds of some runs, for a row. */
const timed = (rs: RunResult[]) => ({ runs: rs.map((r) => s(r.ms)), cpu: rs.map((r) => s(r.cpuMs)) });
const MiB = (kib: number) => kib / 1024;

/** An up that must have changed something (a no-op here would make the figure meaningless). */
function mustChange(what: string, out: string) {
    if (changesIn(out).length === 0) throw new Error(`bench: ${what} changed nothing; its time would mean nothing`);
}
/** A no-change up must change nothing; if it did, the row says so rather than hiding it. */
function noChangeNote(out: string): string | undefined {
    const c = changesIn(out);
    return c.length ? `NOT a no-op: ${c.join(", ")}` : undefined;
}

/** amqplib through the published port: publish with confirms, consume, ack. */
async function roundTrip(amqpPort: number, queue: string, user = "admin") {
    const r = await runSmoke({
        url: `amqp://${user}:${PASSWORD}@127.0.0.1:${amqpPort}`,
        queues: [{ vhost: "/", name: queue }],
    });
    if (!r.ok) throw new Error(`bench: no message round trip through 127.0.0.1:${amqpPort}: ${r.error}`);
}

// --- 1-4. The Docker target: the floor, up from empty, no-change up, destroy -------------------
async function dockerSection() {
    const ports = { amqpPort: await freePort(), managementPort: await freePort() };
    const stack = await UserStack.create(
        `bench-docker-${ID}`,
        { ...ports, adminPassword: PASSWORD },
        { secret: ["adminPassword"] },
    );
    const floorImage = `burrow/rabbitmq:bench-floor-${ID}`;
    try {
        // Warm the image cache (and check everything works) before timing anything.
        await stack.up();
        const { containerName } = await stack.outputs<{ containerName: string }>();
        const image = (await docker(["inspect", "--format", "{{.Config.Image}}", containerName])).stdout.trim();
        await docker(["tag", image, floorImage]);
        await stack.destroy();

        // The floor: a bare `docker run` of the same image to the same readiness signal. The
        // floor of a cluster on this machine: three bare nodes booting at once (no
        // clustering), each to its readiness line: what a 3-node cluster's boots cost the
        // machine's cores before any joining.
        const bareBoots = async (count: number, i: number) => {
            const names = Array.from({ length: count }, (_, k) => `burrow-bench-floor${count}-${ID}-${i}-${k}`);
            const since = new Date(Date.now() - 1000).toISOString();
            const ms = await timeIt(() =>
                Promise.all(
                    names.map(async (name) => {
                        await docker(
                            ["run", "-d", "--name", name, "--hostname", "burrow"].concat([
                                "--env",
                                "RABBITMQ_NODENAME=rabbit@burrow",
                                floorImage,
                            ]),
                        );
                        await waitReady(name, since, 120_000);
                    }),
                ),
            );
            for (const name of names) await docker(["rm", "-f", name]);
            return s(ms);
        };
        const floor: number[] = [];
        for (let i = 0; i < REPEATS; i++) floor.push(await bareBoots(1, i));
        report.add({ id: "floor", name: "bare `docker run` to broker ready", kind: "floor", runs: floor });
        const floor3: number[] = [];
        for (let i = 0; i < REPEATS; i++) floor3.push(await bareBoots(3, i));
        report.add({
            id: "floor-3",
            name: "3 bare `docker run` at once (no cluster), all to broker ready",
            kind: "floor",
            runs: floor3,
            vs: "floor",
            vsName: "one bare `docker run`",
        });

        const ups: RunResult[] = [],
            noops: RunResult[] = [],
            destroys: RunResult[] = [];
        let noopNote: string | undefined;
        for (let i = 0; i < REPEATS; i++) {
            const up = await stack.up();
            mustChange("up from empty", up.stdout);
            ups.push(up);
            const noop = await stack.up();
            noopNote ??= noChangeNote(noop.stdout);
            noops.push(noop);
            destroys.push(await stack.destroy());
        }
        report.add({
            id: "up",
            name: "`pulumi up` empty stack -> smoke test passed",
            kind: "burrow",
            ...timed(ups),
            vs: "floor",
            note: "warm image cache",
        });
        report.add({
            id: "noop",
            name: "`pulumi up` with nothing to do",
            kind: "burrow",
            ...timed(noops),
            note: noopNote,
        });
        report.add({ id: "destroy", name: "`pulumi destroy`", kind: "burrow", ...timed(destroys) });
    } finally {
        await stack.remove();
        await docker(["image", "rm", floorImage]).catch(() => undefined);
    }

    // The same through the Automation API (the integration tests' harness, its own backend):
    // it adds a `stack select` before and a `stack output` after each operation.
    const api = await createTestStack("bench-api", {
        amqpPort: await freePort(),
        managementPort: await freePort(),
        adminPassword: PASSWORD,
    });
    try {
        const ups: number[] = [],
            noops: number[] = [],
            destroys: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
            ups.push(await timeIt(() => api.stack.up()));
            noops.push(await timeIt(() => api.stack.up()));
            destroys.push(await timeIt(() => api.stack.destroy()));
        }
        report.add({ id: "api-up", name: "Automation API: up empty stack", kind: "info", runs: ups.map(s) });
        report.add({ id: "api-noop", name: "Automation API: up with nothing to do", kind: "info", runs: noops.map(s) });
        report.add({ id: "api-destroy", name: "Automation API: destroy", kind: "info", runs: destroys.map(s) });
    } finally {
        await api.destroy().catch((e) => console.error(`bench: cleanup of ${api.name}: ${e.message}`));
    }
}

// --- 5. `npm run up` with nothing to do against a bare `pulumi up` ------------------------------
async function wrapperSection() {
    const ports = { amqpPort: await freePort(), managementPort: await freePort() };
    const stack = await UserStack.create(
        `bench-wrapper-${ID}`,
        { ...ports, adminPassword: PASSWORD },
        { secret: ["adminPassword"] },
    );
    // As a user types it: npm from the user's PATH (not the toolchain's node that `npm run bench`
    // put first), on the default stack (BURROW_STACK names it).
    const userPath = (process.env.PATH ?? "")
        .split(":")
        .filter(
            (d) => d !== path.join(ROOT, "node_modules/.bin") && !d.startsWith(process.env.BURROW_TOOLCHAIN ?? "\0"),
        )
        .join(":");
    const env = { ...process.env, PATH: userPath, BURROW_STACK: stack.name };
    const npmUp = () => run("npm", ["run", "up"], { cwd: ROOT, env });
    // `npm run up` makes its stack the current one: the user's choice is put back afterwards.
    const selected = await run("pulumi", ["stack", "--show-name"], { cwd: ROOT }).then(
        (r) => r.stdout.trim(),
        () => undefined,
    );
    try {
        await npmUp(); // stands the broker up, and makes whatever the wrapper keeps between runs
        const bare: RunResult[] = [],
            wrapped: RunResult[] = [];
        let note: string | undefined;
        for (let i = 0; i < Math.max(REPEATS, 5); i++) {
            // Alternated, so a slow moment of the machine falls on both.
            const b = await stack.up();
            note ??= noChangeNote(b.stdout);
            bare.push(b);
            const w = await npmUp();
            note ??= noChangeNote(w.stdout);
            if (!/is up and passed its smoke test/.test(w.stdout)) throw new Error("bench: npm run up did not finish");
            wrapped.push(w);
        }
        report.add({ id: "bare-noop", name: "bare `pulumi up`, nothing to do", kind: "floor", ...timed(bare) });
        report.add({
            id: "npm-up-noop",
            name: "`npm run up`, nothing to do",
            kind: "burrow",
            ...timed(wrapped),
            vs: "bare-noop",
            vsName: "the bare `pulumi up`",
            note,
        });
    } finally {
        await stack.remove();
        if (selected) await run("pulumi", ["stack", "select", selected], { cwd: ROOT }).catch(() => undefined);
    }
}

/**
 * The floor of a no-change up at N (bench/topology.ts FLOOR_PROGRAM): a stack of its own in the
 * project's backend, made at N, then one timed no-change up, then removed.
 */
async function floorNoChange(n: number): Promise<RunResult> {
    const program = topologyProgram(FLOOR_PROJECT, FLOOR_PROGRAM);
    const stack = await UserStack.create(
        `bench-floor-${n}-${ID}`,
        { n },
        { cwd: program.dir, namespace: FLOOR_PROJECT },
    );
    try {
        mustChange(`floor up to N=${n}`, (await stack.up({ timeoutMs: 30 * 60_000 })).stdout);
        return await stack.up({ timeoutMs: 30 * 60_000 });
    } finally {
        await stack.remove();
        program.remove();
    }
}

// --- 6. Big topologies: N queues + N bindings against one definitions import --------------------
async function topologySection() {
    const program = topologyProgram();
    const ports = { amqpPort: await freePort(), managementPort: await freePort() };
    const stack = await UserStack.create(
        `bench-topology-${ID}`,
        { ...ports, adminPassword: PASSWORD, n: 0 },
        { cwd: program.dir, secret: ["adminPassword"], namespace: TOPOLOGY_PROJECT },
    );
    const setN = (n: number) => stack.setConfig(`${TOPOLOGY_PROJECT}:n`, String(n));
    const long = { memory: true, timeoutMs: 60 * 60_000 };
    const memoryRow = (id: string, name: string, m: MemoryPeaks, note = "") =>
        report.add({
            id,
            name,
            kind: "burrow",
            unit: "MiB",
            runs: [MiB(m.totalKiB)],
            note: `CLI ${MiB(m.byRole.cli).toFixed(0)}, language host ${MiB(m.byRole["language host"]).toFixed(0)}, program ${MiB(m.byRole.program).toFixed(0)}, plugin ${MiB(m.byRole.plugin).toFixed(0)} MiB; CPU s: CLI ${s(m.cpuMsByRole.cli).toFixed(1)}, program ${s(m.cpuMsByRole.program).toFixed(1)}, plugin ${s(m.cpuMsByRole.plugin).toFixed(1)}${note}`,
        });
    try {
        const api = { url: `http://127.0.0.1:${ports.managementPort}`, username: "admin", password: PASSWORD };
        let prev: { n: number; kib: number } | undefined;
        let noop0Ms: number | undefined;
        for (const n of SIZES) {
            // Each N on a fresh broker holding nothing else: removing 10,000 queues from a running
            // one takes minutes (and outlasts the management API's 60 s request limit), while a
            // destroy removes the container and its volume at once.
            await setN(0);
            await stack.up({ timeoutMs: 10 * 60_000 });
            if (!prev) {
                const base = await stack.up(long);
                report.add({
                    id: "noop-0",
                    name: "N=0: `pulumi up` with nothing to do",
                    kind: "burrow",
                    ...timed([base]),
                    note: noChangeNote(base.stdout),
                });
                memoryRow("mem-0", "N=0: peak memory, no-change up", base.memory!);
                noop0Ms = base.ms;
                prev = { n: 0, kib: base.memory!.totalKiB };
            }
            // The floor: the same objects in one import, on this fresh broker.
            const doc = definitions(n, `defs${n}`, "admin");
            const importMs = await timeIt(() => management(api, "POST", "/api/definitions", doc));
            report.add({
                id: `import-${n}`,
                name: `N=${n}: one definitions import`,
                kind: "floor",
                runs: [s(importMs)],
            });
            await stack.destroy();
            await stack.up({ timeoutMs: 10 * 60_000 });

            await setN(n);
            const t0 = performance.now();
            const up = await stack.up(long).catch((e: Error) => e);
            const name = `N=${n}: \`pulumi up\` declaring N queues + N bindings`;
            if (up instanceof Error) {
                // Reported, not hidden: the row says what failed, and the section goes on.
                const why = up.message
                    .split("\n")
                    .filter((l) => /error|failed/i.test(l))
                    .slice(-2)
                    .join(" / ");
                report.add({
                    id: `up-${n}`,
                    name,
                    kind: "burrow",
                    runs: [s(performance.now() - t0)],
                    vs: `import-${n}`,
                    note: `FAILED after this long: ${why.slice(0, 300)}`,
                });
            } else {
                mustChange(`up to N=${n}`, up.stdout);
                report.add({
                    id: `up-${n}`,
                    name,
                    kind: "burrow",
                    ...timed([up]),
                    vs: `import-${n}`,
                    note: `${(up.ms / n).toFixed(2)} ms per queue+binding (import: ${(importMs / n).toFixed(2)})`,
                });
                const noop = await stack.up(long);
                const floorNoop = await floorNoChange(n);
                report.add({
                    id: `noop-floor-${n}`,
                    name: `N=${n}: bare \`pulumi up\` with nothing to do, one do-nothing resource holding the same objects`,
                    kind: "floor",
                    ...timed([floorNoop]),
                    note: noChangeNote(floorNoop.stdout),
                });
                report.add({
                    id: `noop-${n}`,
                    name: `N=${n}: \`pulumi up\` with nothing to do`,
                    kind: "burrow",
                    ...timed([noop]),
                    vs: `noop-floor-${n}`,
                    note: noChangeNote(noop.stdout) ?? (noop0Ms ? `${(noop.ms / noop0Ms).toFixed(2)}x N=0` : undefined),
                });
                const kib = Math.max(up.memory!.totalKiB, noop.memory!.totalKiB);
                const growth = `; from N=${prev.n}: ${((kib - prev.kib) / (n - prev.n)).toFixed(1)} KiB per extra queue+binding`;
                memoryRow(`mem-up-${n}`, `N=${n}: peak memory, up`, up.memory!);
                memoryRow(`mem-noop-${n}`, `N=${n}: peak memory, no-change up`, noop.memory!, growth);
                prev = { n, kib };
            }
            await stack.destroy();
        }
    } finally {
        await stack.remove();
        program.remove();
    }
}

// --- 7. SSH target against Ansible, on the same fresh sshd host image -------------------------

/** apt's install transactions on a host since `since` (those of the image itself are not the job's). */
async function aptHistory(container: string) {
    const log = await docker(["exec", container, "cat", "/var/log/apt/history.log"]).catch(() => undefined);
    return log ? aptSeconds(log.stdout) : [];
}
function aptNote(before: number, after: Array<{ command: string; s: number }>): string {
    const txs = after.slice(before);
    return txs.length
        ? `apt install transactions on the host: ${txs.map((t) => `${t.s} s (${t.command.replace(/^.*install\s+/, "").slice(0, 60) || "by a module"})`).join(", ")}`
        : "no apt transaction on the host";
}
async function sshSection() {
    // A one-time install, like burrow's bootstrap: not part of the timed job, reported when it happens.
    const t0 = performance.now();
    const { dir: venv, installed } = await ansibleVenv();
    if (installed)
        report.add({
            id: "ansible-install",
            name: `Ansible ${ANSIBLE_VERSION}: pip install into a new venv (once)`,
            kind: "info",
            runs: [s(performance.now() - t0)],
            note: "burrow's own first bootstrap builds the Pulumi CLI from Go modules: ~4-9 min (see The toolchain)",
        });
    const queues = QUEUES;
    /** A step, then a message round trip through the host's published AMQP port: timed together. */
    const toRoundTrip = async <T extends { cpuMs: number }>(amqpPort: number, step: () => Promise<T>) => {
        const t = performance.now();
        const result = await step();
        await roundTrip(amqpPort, queues[0]);
        return { ms: performance.now() - t, cpuMs: result.cpuMs, result };
    };
    const control = (cpuMs: number) => `control-side CPU ${s(cpuMs).toFixed(1)} s`;

    // burrow: `pulumi up` on a fresh host to a message round trip, then the no-change re-run.
    let burrow: { fresh: number; again: number; cpu: [number, number]; note?: string; apt: string };
    {
        const ports = { amqpPort: await freePort(), managementPort: await freePort() };
        const host = await startSshHost("bench", ports);
        const stack = await UserStack.create(
            `bench-ssh-${ID}`,
            {
                target: "ssh",
                adminPassword: PASSWORD,
                queues,
                ssh: {
                    host: "127.0.0.1",
                    port: host.sshPort,
                    user: "root",
                    privateKey: host.keys.private,
                    hostKey: host.hostKey,
                    accessHost: "127.0.0.1",
                    accessAmqpPort: ports.amqpPort,
                    accessManagementPort: ports.managementPort,
                },
            },
            { secret: ["adminPassword", "ssh"] },
        );
        try {
            const before = (await aptHistory(host.container)).length;
            const fresh = await toRoundTrip(ports.amqpPort, () => stack.up({ timeoutMs: 30 * 60_000 }));
            mustChange("SSH up on a fresh host", fresh.result.stdout);
            const apt = aptNote(before, await aptHistory(host.container));
            const again = await toRoundTrip(ports.amqpPort, () => stack.up());
            burrow = {
                fresh: fresh.ms,
                again: again.ms,
                cpu: [fresh.cpuMs, again.cpuMs],
                note: noChangeNote(again.result.stdout),
                apt,
            };
        } finally {
            await stack.remove();
            await host.remove();
        }
    }

    // Ansible: the playbook on another fresh host of the same image.
    const ports = { amqpPort: await freePort(), managementPort: await freePort() };
    const host = await startSshHost("bench-ansible", ports);
    const project = ansibleProject({ sshPort: host.sshPort, hostKey: host.hostKey, privateKey: host.keys.private });
    try {
        const before = (await aptHistory(host.container)).length;
        const fresh = await toRoundTrip(ports.amqpPort, () => project.play(venv, PASSWORD));
        const apt = aptNote(before, await aptHistory(host.container));
        const again = await toRoundTrip(ports.amqpPort, () => project.play(venv, PASSWORD));
        const top = (p: typeof fresh.result) =>
            p.tasks
                .slice()
                .sort((a, b) => b.s - a.s)
                .slice(0, 3)
                .map((t) => `${t.task} ${t.s.toFixed(1)} s`)
                .join("; ");
        report.add({
            id: "ansible-fresh",
            name: `Ansible ${ANSIBLE_VERSION}: playbook on a fresh host -> round trip`,
            kind: "peer",
            runs: [s(fresh.ms)],
            note: `changed=${fresh.result.recap.changed}; slowest tasks: ${top(fresh.result)}; ${apt}; ${control(fresh.cpuMs)}`,
        });
        report.add({
            id: "ssh-fresh",
            name: "SSH target: `pulumi up` on a fresh host -> round trip",
            kind: "burrow",
            runs: [s(burrow.fresh)],
            vs: "ansible-fresh",
            note: `${burrow.apt}; ${control(burrow.cpu[0])}`,
        });
        report.add({
            id: "ansible-again",
            name: `Ansible ${ANSIBLE_VERSION}: the same playbook again (no change) -> round trip`,
            kind: "peer",
            runs: [s(again.ms)],
            note: `changed=${again.result.recap.changed}${again.result.recap.changed ? " (NOT a no-op)" : ""}; slowest tasks: ${top(again.result)}; ${control(again.cpuMs)}`,
        });
        report.add({
            id: "ssh-again",
            name: "SSH target: `pulumi up` with nothing to do -> round trip",
            kind: "burrow",
            runs: [s(burrow.again)],
            vs: "ansible-again",
            note: [burrow.note, control(burrow.cpu[1])].filter(Boolean).join("; "),
        });
    } finally {
        await project.stop();
        await host.remove();
    }
}

// --- 8. A 3-node cluster against a single node: Docker (the docker section's single-node up),
// and SSH hosts (a single fresh host and 3 fresh hosts, both here, to smoke passed) ----------
async function clusterSection() {
    const ups: RunResult[] = [];
    for (let i = 0; i < REPEATS; i++) {
        const base = 20000 + Math.floor(Math.random() * 20000);
        const stack = await UserStack.create(
            `bench-cluster-${ID}-${i}`,
            { amqpPort: base, managementPort: base + 10, adminPassword: PASSWORD, cluster: 3 },
            { secret: ["adminPassword"] },
        );
        try {
            const up = await stack.up({ timeoutMs: 30 * 60_000 });
            mustChange("cluster up", up.stdout);
            ups.push(up);
        } finally {
            await stack.remove();
        }
    }
    report.add({
        id: "cluster-up",
        name: "cluster of 3: `pulumi up` empty stack -> smoke passed",
        kind: "burrow",
        ...timed(ups),
        vs: report.rows.some((r) => r.id === "up") ? "up" : undefined,
        vsName: "the single-node up",
    });

    // SSH hosts: fresh sshd hosts of the test image on a network the bench makes (the hosts
    // resolve each other's names there), one host alone, then three as a cluster.
    const network = `burrow-bench-ssh-cluster-${ID}`;
    await docker(["network", "create", "--label", "burrow.test=bench", network]);
    const hosts: Array<Awaited<ReturnType<typeof startSshHost>> & { amqpPort: number; managementPort: number }> = [];
    const sshUp = async (name: string, count: number, first: number) => {
        const entries = hosts.slice(first, first + count).map((h) => sshHostEntry(h));
        const stack = await UserStack.create(
            `${name}-${ID}`,
            {
                target: "ssh",
                adminPassword: PASSWORD,
                ...(count > 1 ? { cluster: { replicationFactor: 3 } } : {}),
                ssh: {
                    user: "root",
                    privateKey: hosts[first].keys.private,
                    ...(count > 1 ? { hosts: entries } : entries[0]),
                },
            },
            { secret: ["adminPassword", "ssh"] },
        );
        try {
            const up = await stack.up({ timeoutMs: 30 * 60_000 });
            mustChange(`SSH up of ${count} host(s)`, up.stdout);
            // What the hosts' own installs took (the image's transactions are none of the job's):
            // three installs at once share the cores, as three boots do.
            const apt = await Promise.all(
                hosts.slice(first, first + count).map(async (h) => (await aptHistory(h.container)).at(-1)?.s),
            );
            return {
                up,
                note: `apt install on the host${count > 1 ? "s, at once" : ""}: ${apt.map((a) => `${a ?? "?"} s`).join(", ")}`,
            };
        } finally {
            await stack.remove();
        }
    };
    try {
        const keys = ed25519KeyPair();
        for (const [i, hostname] of ["bench-h0", "bench-h1", "bench-h2", "bench-h3"].entries()) {
            const ports = { amqpPort: await freePort(), managementPort: await freePort() };
            hosts.push({ ...(await startSshHost(`bench-${i}`, ports, { network, hostname, keys })), ...ports });
        }
        const single = await sshUp("bench-ssh-single", 1, 0);
        report.add({
            id: "ssh-single-up",
            name: "SSH target: `pulumi up` on 1 fresh host -> smoke passed",
            kind: "burrow",
            ...timed([single.up]),
            note: single.note,
        });
        const three = await sshUp("bench-ssh-cluster", 3, 1);
        report.add({
            id: "ssh-cluster-up",
            name: "SSH cluster of 3 fresh hosts: `pulumi up` -> smoke passed",
            kind: "burrow",
            ...timed([three.up]),
            vs: "ssh-single-up",
            vsName: "1 fresh host, same run",
            note: three.note,
        });
    } finally {
        for (const h of hosts) await h.remove();
        await docker(["network", "rm", network]).catch(() => undefined);
    }
}

// --- 9. The bootstrap, warm (everything in place) ----------------------------------------------
async function bootstrapSection() {
    const warm: RunResult[] = [];
    for (let i = 0; i < REPEATS; i++)
        warm.push(await run("bash", [path.join(ROOT, "scripts/bootstrap"), "--quiet"], { cwd: ROOT }));
    report.add({ id: "bootstrap", name: "bootstrap, warm re-run", kind: "burrow", ...timed(warm) });
}

const run_: Record<Section, () => Promise<void>> = {
    docker: dockerSection,
    wrapper: wrapperSection,
    topology: topologySection,
    ssh: sshSection,
    cluster: clusterSection,
    bootstrap: bootstrapSection,
};

/** `npm run bench -- --readme`: the results table into README.md, between its bench markers. */
function writeReadme(table: string) {
    const file = path.join(ROOT, "README.md");
    const readme = fs.readFileSync(file, "utf8");
    const [START, END] = ["<!-- bench:start -->", "<!-- bench:end -->"];
    const a = readme.indexOf(START),
        b = readme.indexOf(END);
    if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} markers`);
    fs.writeFileSync(file, `${readme.slice(0, a + START.length)}\n${table.trim()}\n${readme.slice(b)}`);
    console.log("wrote the results table into README.md");
}

async function main() {
    const unknown = ONLY.filter((x) => !SECTIONS.includes(x as Section));
    if (unknown.length)
        throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`);
    // The toolchain in place and the program compiled from the sources as they are (the stacks
    // below run it as `pulumi up` does, from node_modules/burrow-program).
    await run("bash", [path.join(ROOT, "scripts/ready"), "--quiet"], { cwd: ROOT });
    const t0 = performance.now();
    const done: string[] = [];
    try {
        for (const section of SECTIONS.filter((x) => ONLY.includes(x))) {
            console.log(`\n== ${section} ==`);
            const t = performance.now();
            report.noteLoad(section, "start");
            await run_[section]();
            report.noteLoad(section, "end");
            done.push(section);
            console.log(`(${section}: ${Math.round(s(performance.now() - t))} s)`);
        }
    } finally {
        if (report.rows.length) {
            const out = path.join(ROOT, "bench/results");
            report.write(out, { repeats: REPEATS, seconds: s(performance.now() - t0), sections: done });
            if (process.argv.includes("--readme")) writeReadme(fs.readFileSync(path.join(out, "latest.md"), "utf8"));
            console.log(
                `\nwrote ${path.relative(ROOT, out)}/latest.{json,md,svg} in ${Math.round(s(performance.now() - t0))} s`,
            );
        }
    }
}

main().catch((e) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
});
