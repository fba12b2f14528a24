// A local TCP port on 127.0.0.1 that forwards, over SSH, to a port on the remote host's
// own loopback: for brokers on hosts that listen only there. Opened for the duration of
// one operation (a management API call, a smoke test) and closed after it.
import * as net from "net";
import type * as Ssh2 from "ssh2";
const ssh2 = (): typeof Ssh2 => require("ssh2"); // loaded on first use, not on every program start
import { SshTarget, hostKeyMatches } from "./ssh";

/** withTunnel, handing `fn` the given URL pointed at the tunnel's local end. */
export function withTunnelTo<T>(
    t: SshTarget,
    remotePort: number,
    url: string,
    fn: (localUrl: string) => Promise<T>,
): Promise<T> {
    return withTunnel(t, remotePort, (localPort) => {
        const u = new URL(url);
        u.hostname = "127.0.0.1";
        u.port = String(localPort);
        return fn(u.toString());
    });
}

export async function withTunnel<T>(
    t: SshTarget,
    remotePort: number,
    fn: (localPort: number) => Promise<T>,
): Promise<T> {
    const conn = new (ssh2().Client)();
    await new Promise<void>((resolve, reject) => {
        conn.once("ready", () => resolve());
        conn.once("error", (e) =>
            reject(new Error(`ssh tunnel to ${t.host}:${t.port} for port ${remotePort}: ${e.message}`)),
        );
        conn.connect({
            host: t.host,
            port: t.port,
            username: t.user,
            privateKey: t.privateKey,
            readyTimeout: 20_000,
            hostVerifier: (key: Buffer) =>
                t.insecureIgnoreHostKey === true || (t.hostKey !== undefined && hostKeyMatches(t.hostKey, key)),
        });
    });
    const server = net.createServer((socket) => {
        conn.forwardOut("127.0.0.1", socket.remotePort ?? 0, "127.0.0.1", remotePort, (err, stream) => {
            if (err) {
                socket.destroy(err);
                return;
            }
            socket.pipe(stream).pipe(socket);
            stream.on("error", () => socket.destroy());
            socket.on("error", () => stream.destroy());
        });
    });
    try {
        await new Promise<void>((resolve, reject) =>
            server.once("error", reject).listen(0, "127.0.0.1", () => resolve()),
        );
        return await fn((server.address() as net.AddressInfo).port);
    } finally {
        server.close();
        conn.end();
    }
}
