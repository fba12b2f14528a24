// Looking from outside burrow: the kernel's socket table, a raw TCP probe, the stack's
// files as written on disk, Docker's own view of containers.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { docker } from "../../lib/exec";
import { Listener, parseProcNetTcp } from "../proof-checks";
import { PROJECT_ROOT, TestStack } from "./harness";

/** Sockets listening on these ports on this machine (IPv4 and IPv6), from /proc/net/tcp{,6}. */
export function hostListeners(ports: number[]): Listener[] {
    const text = ["/proc/net/tcp", "/proc/net/tcp6"]
        .filter((f) => fs.existsSync(f))
        .map((f) => parseProcNetTcp(fs.readFileSync(f, "utf8")));
    return text.flat().filter((l) => ports.includes(l.port));
}

/**
 * Whether something answers on 127.0.0.1:port: connects, sends `payload` (if any) and waits up
 * to `ms` for a first byte. A published port whose container side has no listener accepts
 * (docker-proxy) and closes without a byte: that is "no answer".
 */
export function answers(port: number, payload: string | Buffer | undefined, ms = 3000): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port });
        const done = (v: boolean) => {
            clearTimeout(t);
            s.destroy();
            resolve(v);
        };
        const t = setTimeout(() => done(false), ms);
        s.once("connect", () => payload !== undefined && s.write(payload));
        s.once("data", () => done(true));
        s.once("error", () => done(false));
        s.once("close", () => done(false));
    });
}

/** The AMQP 0-9-1 protocol header: a broker answers it with Connection.Start. */
export const AMQP_HEADER = Buffer.from("AMQP\x00\x00\x09\x01", "latin1");
export const HTTP_GET = "GET /api/overview HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";

/** Where a secret must never be in plain text: every file of the stack's backend, its config file, all CLI output. */
export function placesToSearch(ts: TestStack): Record<string, string> {
    const places: Record<string, string> = {};
    const files = fs
        .readdirSync(ts.backendDir, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => path.join(f.parentPath, f.name));
    if (!files.some((f) => f.endsWith(`${ts.name}.json`)))
        throw new Error(`no state file for ${ts.name} in ${ts.backendDir}: nothing to search`);
    for (const f of files) places[path.relative(ts.backendDir, f)] = fs.readFileSync(f, "utf8");
    const cfg = path.join(PROJECT_ROOT, `Pulumi.${ts.name}.yaml`);
    if (fs.existsSync(cfg)) places[`Pulumi.${ts.name}.yaml`] = fs.readFileSync(cfg, "utf8");
    places["CLI output (up, refresh, preview, destroy)"] = ts.output.join("\n");
    return places;
}

/** Id and start time of each running container of an engine (default: the shared one). */
export async function runningContainers(env?: Record<string, string>): Promise<Map<string, string>> {
    const o = env ? { env } : {};
    const ids = (await docker(["ps", "-q", "--no-trunc"], o)).stdout.split("\n").filter(Boolean);
    const out = new Map<string, string>();
    for (const id of ids) {
        const r = await docker(["inspect", "--format", "{{.State.StartedAt}}", id], o).catch(() => undefined);
        if (r) out.set(id, r.stdout.trim());
    }
    return out;
}

/** Docker's own id and start time of a container. */
export async function containerStart(name: string, env?: Record<string, string>) {
    const r = await docker(
        ["inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", name],
        env ? { env } : {},
    );
    const [id, startedAt, running] = r.stdout.trim().split(" ");
    return { id, startedAt, running: running === "true" };
}
