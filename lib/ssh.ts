// Runs commands on a host over SSH (the ssh2 library), with host-key checking on by
// default: the host's key must equal the pinned `hostKey` ("ssh-ed25519 AAAA...", as
// `ssh-keyscan` prints it), and the server may only show a key of the pinned type.
// Secrets travel on standard input, never in the command line.
import type * as Ssh2 from "ssh2";
import { SshFailure, cleanMessage, sshConnectMessage, sshStepFailedMessage } from "./errors";
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

/**
 * The host-key algorithms ssh2 may negotiate for a pinned key of this type. A server shows
 * one host key, of the first type both sides accept, and ssh2 prefers ed25519: without this
 * restriction a host that also has an ed25519 key never shows its pinned rsa or ecdsa key.
 * An ssh-rsa key is signed with rsa-sha2-512/256 (OpenSSH >= 8.8 refuses SHA-1 "ssh-rsa").
 */
export function hostKeyAlgorithms(pinned: string): Ssh2.ServerHostKeyAlgorithm[] {
    const type = pinned.trim().split(/\s+/)[0];
    switch (type) {
        case "ssh-ed25519":
        case "ecdsa-sha2-nistp256":
        case "ecdsa-sha2-nistp384":
        case "ecdsa-sha2-nistp521":
            return [type as Ssh2.ServerHostKeyAlgorithm];
        case "ssh-rsa":
            return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
        default:
            throw new Error(
                `burrow:ssh.hostKey has key type "${type}"; pin the host's ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa key as ssh-keyscan prints it`,
            );
    }
}

/**
 * The ssh2 connect config for a target: the one place for credentials, the handshake
 * timeout and host-key checking (sshExec and the tunnels both connect through it).
 * `onHostKey` learns whether the key the server showed was accepted.
 */
export function sshConnectConfig(
    t: SshTarget,
    onHostKey: (accepted: boolean) => void = () => undefined,
): ConnectConfig {
    const pinned = t.insecureIgnoreHostKey ? undefined : t.hostKey;
    const config: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.user,
        privateKey: t.privateKey,
        readyTimeout: 20_000,
        ...(pinned ? { algorithms: { serverHostKey: hostKeyAlgorithms(pinned) } } : {}),
        hostVerifier: (key: Buffer) => {
            const accepted = t.insecureIgnoreHostKey === true || (pinned !== undefined && hostKeyMatches(pinned, key));
            onHostKey(accepted);
            return accepted;
        },
    };
    return config;
}

/** What went wrong while connecting, as lib/errors.ts words it. */
function connectFailure(t: SshTarget, e: Error, hostKeyRefused: boolean): SshFailure {
    const keyType = t.hostKey?.trim().split(/\s+/)[0] ?? "";
    if (hostKeyRefused) return t.hostKey ? { kind: "host-key-mismatch", keyType } : { kind: "host-key-not-pinned" };
    if (/no matching host key/i.test(e.message)) return { kind: "no-key-of-pinned-type", keyType };
    if (/authentication/i.test(e.message)) return { kind: "key-refused", user: t.user };
    return { kind: "unreachable", detail: e.message };
}

/** An open SSH connection to the target, or a rejection that names the setting at fault. The caller ends it. */
export function sshConnect(t: SshTarget): Promise<Ssh2.Client> {
    return new Promise((resolve, reject) => {
        const conn = new (ssh2().Client)();
        let hostKeyRefused = false;
        let config: ConnectConfig;
        try {
            config = sshConnectConfig(t, (accepted) => (hostKeyRefused = !accepted));
        } catch (e) {
            reject(new Error(`host ${t.host}:${t.port}: ${(e as Error).message}`));
            return;
        }
        conn.once("ready", () => resolve(conn));
        conn.on("error", (e) => {
            conn.end();
            reject(new Error(sshConnectMessage(t.host, t.port, connectFailure(t, e, hostKeyRefused))));
        });
        conn.connect(config);
    });
}

export function sshExec(
    t: SshTarget,
    command: string,
    opts: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
    const where = `host ${t.host}:${t.port}`;
    const timeoutMs = opts.timeoutMs ?? 600_000;
    return new Promise((resolve, reject) => {
        let conn: Ssh2.Client | undefined;
        let settled = false;
        const fail = (e: Error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            conn?.end();
            reject(e);
        };
        const timer = setTimeout(() => fail(new Error(`${where}: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        sshConnect(t).then((c) => {
            conn = c;
            if (settled) return void c.end();
            c.on("error", (e) => fail(new Error(`${where}: ${cleanMessage(e.message)}`)));
            c.exec(command, (err, stream) => {
                if (err) return fail(new Error(`${where}: exec failed: ${err.message}`));
                let stdout = "",
                    stderr = "";
                stream.on("data", (d: Buffer) => (stdout += d));
                stream.stderr.on("data", (d: Buffer) => (stderr += d));
                stream.on("close", (code: number | null) => {
                    if (settled) return;
                    settled = true;
                    clearTimeout(timer);
                    c.end();
                    resolve({ stdout, stderr, code: code ?? 255 });
                });
                stream.end(opts.input ?? "");
            });
        }, fail);
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
        throw new Error(sshStepFailedMessage(t.host, t.port, step, r.code, tail));
    }
    return r;
}
