// Runs commands on a host over SSH (the ssh2 library), with host-key checking on by
// default: the host's key must equal the pinned `hostKey` ("ssh-ed25519 AAAA...", as
// `ssh-keyscan` prints it). Secrets travel on standard input, never in the command line.
import type * as Ssh2 from "ssh2";
// Loaded when burrow connects (in the provider plugin), not on every program start.
const ssh2 = (): typeof Ssh2 => require("ssh2");
type ConnectConfig = Ssh2.ConnectConfig;

export interface SshTarget {
    host: string;
    port: number;
    user: string;
    /** OpenSSH/PEM private key text (a secret). */
    privateKey: string;
    /** Pinned host public key; required unless insecureIgnoreHostKey. */
    hostKey?: string;
    insecureIgnoreHostKey?: boolean;
}

export interface SshResult {
    stdout: string;
    stderr: string;
    code: number;
}

/** Quotes one word for the remote shell. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a command as root: directly for root, else with passwordless sudo. */
export const asRoot = (t: SshTarget, cmd: string) => (t.user === "root" ? cmd : `sudo -n ${cmd}`);

/** The pinned key's base64 blob must equal the key the server shows. */
export function hostKeyMatches(pinned: string, presented: Buffer): boolean {
    const blob = pinned.trim().split(/\s+/)[1];
    return blob !== undefined && Buffer.from(blob, "base64").equals(presented);
}

export function sshExec(
    t: SshTarget,
    command: string,
    opts: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
    const where = `${t.user}@${t.host}:${t.port}`;
    return new Promise((resolve, reject) => {
        const conn = new (ssh2().Client)();
        let settled = false;
        let timer: NodeJS.Timeout | undefined = undefined;
        const fail = (msg: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            conn.end();
            reject(new Error(`ssh ${where}: ${msg}`));
        };
        timer = setTimeout(
            () => fail(`no answer within ${(opts.timeoutMs ?? 600_000) / 1000} s`),
            opts.timeoutMs ?? 600_000,
        );
        let hostKeyRefused = false;
        const config: ConnectConfig = {
            host: t.host,
            port: t.port,
            username: t.user,
            privateKey: t.privateKey,
            readyTimeout: 20_000,
            hostVerifier: (key: Buffer) => {
                if (t.insecureIgnoreHostKey) return true;
                hostKeyRefused = !t.hostKey || !hostKeyMatches(t.hostKey, key);
                return !hostKeyRefused;
            },
        };
        conn.on("error", (e) => {
            if (hostKeyRefused) {
                fail(
                    t.hostKey
                        ? "the host key does not match burrow:ssh.hostKey (a different host, or the host was rebuilt); check it with ssh-keyscan and update the pin"
                        : "host-key checking is on and burrow:ssh.hostKey is not set; pin it (ssh-keyscan -p PORT HOST) or set burrow:ssh.insecureIgnoreHostKey true",
                );
            } else if (/authentication/i.test(e.message)) {
                fail(`the key was refused for user "${t.user}" (burrow:ssh.privateKey): ${e.message}`);
            } else fail(`cannot connect (burrow:ssh.host/port): ${e.message}`);
        });
        conn.on("ready", () => {
            conn.exec(command, (err, stream) => {
                if (err) return fail(`exec failed: ${err.message}`);
                let stdout = "",
                    stderr = "";
                stream.on("data", (d: Buffer) => (stdout += d));
                stream.stderr.on("data", (d: Buffer) => (stderr += d));
                stream.on("close", (code: number | null) => {
                    if (settled) return;
                    settled = true;
                    clearTimeout(timer);
                    conn.end();
                    resolve({ stdout, stderr, code: code ?? 255 });
                });
                stream.end(opts.input ?? "");
            });
        });
        conn.connect(config);
    });
}

/** sshExec that rejects on a non-zero exit, naming the step and the host. */
export async function sshRun(
    t: SshTarget,
    step: string,
    command: string,
    opts: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
    const r = await sshExec(t, command, opts);
    if (r.code !== 0) {
        const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-12).join("\n");
        throw new Error(`${t.host}:${t.port}: ${step} failed (exit ${r.code})${tail ? `:\n${tail}` : ""}`);
    }
    return r;
}
