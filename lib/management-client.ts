import * as http from "http";
import * as https from "https";
import { SshTarget } from "./ssh";
import { withTunnelTo } from "./ssh-tunnel";
import { ManagementApiError, UnreachableError, isManagementApiError, isUnreachable } from "./errors";
// A small client for RabbitMQ's management HTTP API (the same API the management UI
// and the Terraform/Pulumi rabbitmq providers use).
export interface ManagementApi {
    /** e.g. http://127.0.0.1:15672, or https://localhost:15671 with `ca` */
    url: string;
    username: string;
    password: string;
    /** PEM CA certificate that signed the broker's certificate (HTTPS only). */
    ca?: string;
    /** Reach the API through an SSH tunnel to this port on the host's loopback. */
    tunnel?: { ssh: SshTarget; port: number };
}

/** An HTTP error from the API, with its status and the broker's reason (lib/errors.ts). */
export type ManagementError = ManagementApiError;
export const isManagementError = isManagementApiError;

/** Encodes one path segment; vhost "/" becomes %2F as the API expects. */
export const seg = (s: string) => encodeURIComponent(s);

type Reply = { status: number; json: unknown; headers: Record<string, string | string[] | undefined> };

export async function request(
    api: ManagementApi,
    method: string,
    path: string,
    body?: unknown,
    okStatuses: number[] = [],
    /** How long the broker may take to answer (a big definitions import takes tens of seconds). */
    timeoutMs = 30_000,
): Promise<Reply> {
    const tunnel = api.tunnel;
    if (!tunnel) return direct(api, method, path, body, okStatuses, timeoutMs);
    return withTunnelTo(tunnel.ssh, tunnel.port, api.url, (url) =>
        direct({ ...api, url: new URL(url).origin, tunnel: undefined }, method, path, body, okStatuses, timeoutMs),
    );
}

async function direct(
    api: ManagementApi,
    method: string,
    path: string,
    body: unknown,
    okStatuses: number[],
    timeoutMs: number,
): Promise<Reply> {
    const auth = Buffer.from(`${api.username}:${api.password}`).toString("base64");
    const url = new URL(`${api.url}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // node:http(s) rather than fetch: it takes the stack's own CA for HTTPS.
    const lib = url.protocol === "https:" ? https : http;
    const res = await new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>(
        (resolve, reject) => {
            const req = lib.request(
                url,
                {
                    method,
                    headers: {
                        authorization: `Basic ${auth}`,
                        "content-type": "application/json",
                        ...(payload ? { "content-length": Buffer.byteLength(payload) } : {}),
                    },
                    ca: api.ca,
                    timeout: timeoutMs,
                },
                (r) => {
                    let text = "";
                    r.setEncoding("utf8");
                    r.on("data", (d) => (text += d));
                    r.on("end", () => resolve({ status: r.statusCode ?? 0, text, headers: r.headers }));
                    r.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
            req.on("error", (e) =>
                reject(new UnreachableError(api.url, `${method} ${path}: ${e.message}`, { cause: e })),
            );
            req.end(payload);
        },
    );
    const ok = res.status >= 200 && res.status < 300;
    if (!ok && !okStatuses.includes(res.status)) throw new ManagementApiError(method, path, res.status, res.text);
    let json: unknown;
    try {
        json = res.text ? JSON.parse(res.text) : undefined;
    } catch {
        json = res.text;
    }
    return { status: res.status, json, headers: res.headers };
}

export async function get<T>(api: ManagementApi, path: string): Promise<T | undefined> {
    const r = await request(api, "GET", path, undefined, [404]);
    return r.status === 404 ? undefined : (r.json as T);
}

/** Retries a request while the management listener is still starting (connection refused, 503). */
export async function waitForApi(api: ManagementApi, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Error | undefined;
    while (Date.now() < deadline) {
        try {
            await request(api, "GET", "/api/whoami");
            return;
        } catch (e) {
            last = e as Error;
            // Wrong credentials do not get better by waiting.
            if (isManagementError(e) && e.status === 401) throw e;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    const why = isUnreachable(last) ? last.detail : last?.message;
    throw new UnreachableError(api.url, `no answer within ${timeoutMs / 1000} s; last: ${why}`, { cause: last });
}
