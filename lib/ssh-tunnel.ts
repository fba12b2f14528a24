// A local TCP port on 127.0.0.1 that forwards, over SSH, to a port on the remote host's
// own loopback: for brokers on hosts that listen only there. Opened for the duration of
// one operation (a management API call, a smoke test) and closed after it.
import * as net from "net";
import { SshTarget, sshConnect } from "./ssh";

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
    const conn = await sshConnect(t).catch((e: Error) => {
        throw new Error(`${e.message} (while opening an SSH tunnel to port ${remotePort})`, { cause: e });
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
