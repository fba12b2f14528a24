// `npm run bench`: how fast burrow stands a broker up, side by side with the floor, in
// ONE run on one machine so the figures are ratios of neighbours. Writes
// bench/results/latest.{json,md,svg}. Numbers only; nothing here asserts a target.
//   BENCH_REPEATS=3          repeats of each timed step (min/median/max)
//   BENCH_TOPOLOGY=10,100,1000  queue counts for the topology scaling
import { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { waitReady } from "../components/providers/rabbitmq-container";
import { docker } from "../lib/exec";
import { request } from "../lib/management-client";
import { execFile, execFileSync } from "child_process";
import { promisify } from "util";
import { createTestStack, freePort } from "../test/integration/harness";
import { startSshHost } from "../test/integration/ssh-host";

const ROOT = path.resolve(__dirname, "..");
const execFileAsync = promisify(execFile);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SIZES = (process.env.BENCH_TOPOLOGY ?? "10,100,1000")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
const PASSWORD = "bench-Password-123";

type Row = { name: string; runs: number[]; note?: string };
const rows: Row[] = [];
const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const secs = (ms: number) => Math.round(ms) / 1000;
async function timeIt(fn: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
}
function record(name: string, runs: number[], note?: string) {
    rows.push({ name, runs, note });
    const s = stats(runs);
    console.log(
        `${name.padEnd(58)} min ${secs(s.min)} s  median ${secs(s.median)} s  max ${secs(s.max)} s${note ? `  (${note})` : ""}`,
    );
}

/** A stack on its own temporary backend (the integration tests' harness), with a cleanup that never throws. */
async function benchStack(
    role: string,
    config: Record<string, unknown>,
): Promise<{ stack: Stack; cli: (...args: string[]) => Promise<void>; cleanup: () => Promise<void> }> {
    const ts = await createTestStack(role, config);
    // The same stack through the CLI itself, as a user types it: the Automation API adds a
    // `stack select` before and a `stack output` after each operation (~0.5-1 s).
    const cli = async (...args: string[]) => {
        await execFileAsync("pulumi", [...args, "--stack", ts.name, "--non-interactive", "--suppress-progress"], {
            cwd: ROOT,
            env: { ...process.env, ...ts.env },
            maxBuffer: 64 * 2 ** 20,
        });
    };
    return {
        stack: ts.stack,
        cli,
        cleanup: () => ts.destroy().catch((e) => console.error(`bench: cleanup of ${ts.name}: ${e.message}`)),
    };
}

async function main() {
    const id = Date.now().toString(36);
    const amqpPort = await freePort();
    const managementPort = await freePort();
    const { stack, cli, cleanup } = await benchStack("bench", { amqpPort, managementPort, adminPassword: PASSWORD });
    try {
        // Warm the image cache (and check everything works) before timing anything.
        await stack.up();
        const image = `burrow/rabbitmq:bench-${id}`;
        await stack.destroy();
        await docker([
            "tag",
            (await docker(["image", "ls", "-q", "burrow/rabbitmq-cache"])).stdout.split("\n")[0],
            image,
        ]);

        // 1. Floor: bare docker run of the same image to the same readiness signal.
        const floor: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
            const name = `burrow-bench-floor-${id}-${i}`;
            const since = new Date(Date.now() - 1000).toISOString();
            floor.push(
                await timeIt(async () => {
                    await docker([
                        "run",
                        "-d",
                        "--name",
                        name,
                        "--hostname",
                        "burrow",
                        "--env",
                        "RABBITMQ_NODENAME=rabbit@burrow",
                        image,
                    ]);
                    await waitReady(name, since, 120_000);
                }),
            );
            await docker(["rm", "-f", name]);
        }
        await docker(["image", "rm", image]).catch(() => undefined);
        record("1. bare `docker run` to broker ready (floor)", floor);

        // 2-4. pulumi up from empty to smoke passed; no-change up; destroy.
        const ups: number[] = [],
            noops: number[] = [],
            destroys: number[] = [];
        const cliUps: number[] = [],
            cliNoops: number[] = [],
            cliDestroys: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
            ups.push(await timeIt(() => stack.up()));
            noops.push(await timeIt(() => stack.up()));
            destroys.push(await timeIt(() => stack.destroy()));
            cliUps.push(await timeIt(() => cli("up", "--yes", "--skip-preview")));
            cliNoops.push(await timeIt(() => cli("up", "--yes", "--skip-preview")));
            cliDestroys.push(await timeIt(() => cli("destroy", "--yes")));
        }
        record(
            "2. `pulumi up` empty stack -> smoke test passed (warm cache)",
            cliUps,
            `CLI; ratio ${(stats(cliUps).median / stats(floor).median).toFixed(2)}x the floor`,
        );
        record("2. the same through the Automation API", ups);
        record("3. `pulumi up` with nothing changed", cliNoops, "CLI");
        record("3. the same through the Automation API", noops);
        record("4. `pulumi destroy`", cliDestroys, "CLI");
        record("4. the same through the Automation API", destroys);
        await stack.up();

        // 5. Topology scaling: N queues each with a binding, by pulumi up vs one definitions import.
        const api = { url: `http://127.0.0.1:${managementPort}`, username: "admin", password: PASSWORD };
        let prev: { n: number; upN: number; importN: number } | undefined;
        for (const n of SIZES) {
            const queues = Array.from({ length: n }, (_, i) => ({ name: `q${i}` }));
            const bindings = queues.map((q) => ({ source: "amq.direct", destination: q.name, routingKey: q.name }));
            await stack.setConfig("burrow:queues", { value: JSON.stringify(queues) });
            await stack.setConfig("burrow:bindings", { value: JSON.stringify(bindings) });
            let changes: Record<string, number> = {};
            const upN = await timeIt(
                async () => (changes = (await stack.up({ parallel: 16 })).summary.resourceChanges ?? {}),
            );
            if (changes.replace) console.log(`warning: N=${n} replaced ${changes.replace} resources`);
            const noopN = await timeIt(() => stack.up({ parallel: 16 }));
            const cliNoopN = await timeIt(() => cli("up", "--yes", "--skip-preview"));
            const defs = {
                vhosts: [{ name: "defs" }],
                permissions: [{ user: "admin", vhost: "defs", configure: ".*", write: ".*", read: ".*" }],
                queues: queues.map((q) => ({
                    name: q.name,
                    vhost: "defs",
                    durable: true,
                    auto_delete: false,
                    arguments: { "x-queue-type": "classic" },
                })),
                bindings: bindings.map((b) => ({
                    source: b.source,
                    vhost: "defs",
                    destination: b.destination,
                    destination_type: "queue",
                    routing_key: b.routingKey,
                    arguments: {},
                })),
            };
            const importN = await timeIt(() => request(api, "POST", "/api/definitions", defs));
            await request(api, "DELETE", "/api/vhosts/defs");
            record(
                `5. N=${n}: \`pulumi up\` declaring N queues + N bindings`,
                [upN],
                `${(upN / n).toFixed(1)} ms per queue+binding`,
            );
            // Beside the total, the growth from the previous N: what each extra queue+binding costs.
            const growth = prev
                ? `; from N=${prev.n}: ${((upN - prev.upN) / (n - prev.n)).toFixed(1)} vs ${((importN - prev.importN) / (n - prev.n)).toFixed(1)} ms per extra object pair, ratio ${((upN - prev.upN) / Math.max(1, importN - prev.importN)).toFixed(1)}x`
                : "";
            record(
                `5. N=${n}: definitions import of the same (floor)`,
                [importN],
                `ratio ${(upN / importN).toFixed(1)}x${growth}`,
            );
            prev = { n, upN, importN };
            record(`5. N=${n}: \`pulumi up\` with nothing changed`, [cliNoopN], "CLI");
            record(`5. N=${n}: the same through the Automation API`, [noopN]);
            await stack.setConfig("burrow:queues", { value: "[]" });
            await stack.setConfig("burrow:bindings", { value: "[]" });
            await stack.up({ parallel: 16 });
        }
    } finally {
        await cleanup();
    }

    // 6. SSH target: pulumi up on a fresh host (an sshd container) to smoke passed; apt
    //    downloads Erlang and RabbitMQ from the mirror each time, as on a new server.
    {
        const ports = { amqpPort: await freePort(), managementPort: await freePort() };
        const host = await startSshHost("bench", ports);
        const ssh = await benchStack("bench-ssh", {
            target: "ssh",
            adminPassword: PASSWORD,
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
        });
        try {
            record(
                "6. SSH target: `pulumi up` fresh host -> smoke passed",
                [await timeIt(() => ssh.stack.up())],
                "includes apt download + install",
            );
            record("6. SSH target: `pulumi up` with nothing changed", [await timeIt(() => ssh.stack.up())]);
        } finally {
            await ssh.cleanup();
            await host.remove();
        }
    }

    // 7. Cluster of 3 against the single node above.
    {
        const base = 20000 + Math.floor(Math.random() * 20000);
        const cl = await benchStack("bench-cluster", {
            amqpPort: base,
            managementPort: base + 10,
            adminPassword: PASSWORD,
            cluster: 3,
        });
        try {
            record(
                "7. cluster of 3: `pulumi up` empty stack -> smoke passed",
                [await timeIt(() => cl.stack.up())],
                "nodes start one after the other",
            );
        } finally {
            await cl.cleanup();
        }
    }

    // 8. The bootstrap, warm (everything in place).
    const warm: number[] = [];
    for (let i = 0; i < REPEATS; i++)
        warm.push(
            await timeIt(async () =>
                execFileSync("bash", [path.join(ROOT, "scripts/bootstrap"), "--quiet"], { stdio: "ignore" }),
            ),
        );
    record("8. bootstrap, warm re-run", warm);
    write();
}

function write() {
    const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
    const out = path.join(ROOT, "bench/results");
    fs.mkdirSync(out, { recursive: true });
    const table = rows.map((r) => ({ ...r, ...stats(r.runs) }));
    fs.writeFileSync(
        path.join(out, "latest.json"),
        JSON.stringify({ at: new Date().toISOString(), machine, repeats: REPEATS, rows: table }, null, 2) + "\n",
    );
    const md = [
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; ${REPEATS} repeats where min/median/max differ.`,
        "",
        "| step | min s | median s | max s | note |",
        "| --- | ---: | ---: | ---: | --- |",
        ...table.map((r) => `| ${r.name} | ${secs(r.min)} | ${secs(r.median)} | ${secs(r.max)} | ${r.note ?? ""} |`),
        "",
    ].join("\n");
    fs.writeFileSync(path.join(out, "latest.md"), md);
    const max = Math.max(...table.map((r) => r.median));
    const bar = 480,
        h = 22;
    const svg = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${bar + 460}" height="${table.length * h + 40}" font-family="sans-serif" font-size="12">`,
        `<text x="8" y="16" font-weight="bold">burrow bench: median seconds (${machine.split(",")[0]})</text>`,
        ...table.map((r, i) => {
            const y = 28 + i * h;
            const w = Math.max(1, (r.median / max) * bar);
            return `<text x="8" y="${y + 14}">${r.name.replace(/[<>&`]/g, "")}</text><rect x="440" y="${y + 3}" width="${w.toFixed(1)}" height="14" fill="${r.name.includes("floor") ? "#999" : "#e8702a"}"/><text x="${(445 + w).toFixed(1)}" y="${y + 14}">${secs(r.median)}</text>`;
        }),
        `</svg>`,
    ].join("\n");
    fs.writeFileSync(path.join(out, "latest.svg"), svg + "\n");
    console.log(`\nwrote ${path.relative(ROOT, out)}/latest.{json,md,svg}`);
}

main().catch((e) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
});
