// Errors burrow decides on, typed so that code asks `instanceof` / `.status` instead of
// matching message text, and the one place where what a user reads about an error they can
// cause is written (after zx's src/error.ts): a broker's answer turned into a sentence, a
// taken port, a refused SSH host, a missing base image... Each names the burrow object
// (queue shop/orders, the broker container burrow-dev, host 10.0.0.1:22), the `burrow:` key
// involved and what to do; none carries a stack trace, ANSI colour codes or HTML entities.
import { DEBIAN_RELEASES } from "../components/settings/rabbitmq";
import { objectLabel } from "./labels";

/** The management API could not be reached at all (refused, reset, timed out): "cannot tell", not "gone". */
export class UnreachableError extends Error {
    override readonly name = "UnreachableError";
    constructor(
        readonly url: string,
        /** What happened, without the sentence around it ("GET /api/whoami: connect ECONNREFUSED ..."). */
        readonly detail: string,
        options?: ErrorOptions,
    ) {
        super(unreachableApiMessage(url, detail), options);
    }
}

/** The management API answered with an HTTP error. `reason` is the broker's own sentence, decoded. */
export class ManagementApiError extends Error {
    override readonly name = "ManagementApiError";
    readonly reason: string;
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        body: string,
    ) {
        const reason = brokerReason(body);
        super(`the management API answered ${status} to ${method} ${path}${reason ? `: ${reason}` : ""}`);
        this.reason = reason;
    }
}

export const isUnreachable = (e: unknown): e is UnreachableError => e instanceof Error && e.name === "UnreachableError";

/** Whether `e` or any error in its `cause` chain passes `test`. */
export function causedBy(e: unknown, test: (x: unknown) => boolean): boolean {
    for (let x: unknown = e, depth = 0; x !== undefined && depth < 10; x = (x as Error).cause, depth++) {
        if (test(x)) return true;
        if (!(x instanceof Error)) return false;
    }
    return false;
}
export const isManagementApiError = (e: unknown): e is ManagementApiError =>
    e instanceof Error && e.name === "ManagementApiError" && typeof (e as ManagementApiError).status === "number";

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", "#39": "'", "#34": '"' };

/** Erlang's printed binaries and escapes as plain text: <<"ten">> -> "ten", \\n -> a space. */
function erlangText(text: string): string {
    // The whole reason may be one printed binary: <<"Validation failed\\n\\n...">>.
    const whole = /^<<"([\s\S]*)">>$/.exec(text);
    if (whole) text = whole[1].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    text = text.replace(/\\"/g, '"').replace(/<<"([^"]*)">>/g, '"$1"');
    // {binding_invalid,"Invalid x-match field value ~tp; expected ...",["ten"]}: the format filled in.
    const formatted = /^\{\w+,\s*"((?:[^"\\]|\\.)*)",\s*\[([\s\S]*)\]\}$/.exec(text.trim());
    if (formatted) {
        const args = formatted[2].split(/,\s*/).map((a) => a.trim());
        let i = 0;
        text = formatted[1].replace(/~t?[psw]/g, () => args[i++] ?? "");
    }
    // [{"ha-mode","all"}] are not recognised policy settings
    const unknown = /^([\s\S]*?)\[(.*)\] are not recognised policy settings([\s\S]*)$/.exec(text);
    if (unknown) {
        const pairs = [...unknown[2].matchAll(/\{"([^"]*)",\s*([^}]*)\}/g)].map((m) => `${m[1]} (${m[2]})`);
        text = `${unknown[1]}${pairs.join(", ")} ${pairs.length === 1 ? "is not a policy key" : "are not policy keys"} it recognises${unknown[3]}`;
    }
    return text.replace(/^Validation failed\s*/, "");
}

/**
 * The reason in a management API error body, as one readable line: RabbitMQ answers
 * {"error": "bad_request", "reason": "..."} with the reason HTML-escaped and, from a
 * definitions import, as a printed Erlang binary
 * (`<<"Validation failed\\n\\n&lt;&lt;\\"ten\\"&gt;&gt; is not a valid maximum length\\n (//p)">>`
 * becomes `"ten" is not a valid maximum length (//p)`). A crash report is cut to its first words.
 */
export function brokerReason(body: string): string {
    let text = body.trim();
    try {
        const parsed = JSON.parse(text) as { reason?: unknown; error?: unknown };
        const r = parsed.reason ?? parsed.error;
        text = typeof r === "string" ? r : JSON.stringify(r ?? parsed);
    } catch {
        // not JSON: a proxy's or cowboy's plain answer
    }
    text = text.replace(/&(lt|gt|amp|quot|apos|#39|#34);/g, (_, e: string) => ENTITIES[e]);
    text = erlangText(text);
    text = text.replace(/\s+/g, " ").trim();
    if (/^Request to node \S+ failed with \{'EXIT'/.test(text))
        return `the broker crashed on the request (${text.slice(0, 100)}...)`;
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

// ---- What the user reads ------------------------------------------------------------------

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
/** A Node stack frame line: "    at fn (/path/file.js:1:2)", "    at /path/file.js:1:2", "    at new Promise (<anonymous>)". */
const STACK_FRAME = /^\s+at (?:.+ \()?(?:\/|node:|file:|<anonymous>|[A-Za-z]:\\).*$/;

/** A message as the CLI should show it: no ANSI colour codes, no stack frames, no trailing blank lines. */
export function cleanMessage(text: string): string {
    return text
        .replace(ANSI, "")
        .split("\n")
        .filter((l) => !STACK_FRAME.test(l))
        .join("\n")
        .replace(/\s+$/, "");
}

/** The management API could not be reached. */
export function unreachableApiMessage(url: string, detail: string): string {
    return (
        `the management API at ${url} could not be reached (${cleanMessage(detail)}); is the broker running and reachable there? ` +
        `(Docker target: \`docker ps\`; SSH target: burrow:ssh.accessHost and accessManagementPort)`
    );
}

/** What a definitions import refusal names: the object, when the broker's reason names one. */
export interface RefusedObject {
    kind: "policy" | "queue" | "exchange";
    vhost: string;
    name: string;
}

/** The object a broker refusal names: "... (//p)" for a policy, "queue 'q' in vhost '/'", "exchange 'x' in vhost '/'". */
export function refusedObject(reason: string): RefusedObject | undefined {
    const named = /\b(queue|exchange) '([^']*)' in vhost '([^']*)'/.exec(reason);
    if (named) return { kind: named[1] as "queue" | "exchange", name: named[2], vhost: named[3] };
    const policy = /\(([^()]*)\)\s*$/.exec(reason);
    if (policy && policy[1].includes("/")) {
        const s = policy[1];
        if (s.startsWith("//")) return { kind: "policy", vhost: "/", name: s.slice(2) };
        const at = s.indexOf("/");
        return { kind: "policy", vhost: s.slice(0, at), name: s.slice(at + 1) };
    }
    return undefined;
}

const CONFIG_KEY: Record<RefusedObject["kind"], string> = {
    policy: "burrow:policies",
    queue: "burrow:queues",
    exchange: "burrow:exchanges",
};

/**
 * A definitions import the broker refused: the object and its config key, the broker's own
 * reason, decoded and short. `status` and `reason` come from the ManagementApiError.
 */
export function importRefusedMessage(status: number, reason: string, counts: string): string {
    if (!reason)
        return (
            `RabbitMQ failed on the definitions import (${counts}) with HTTP ${status} and gave no reason: ` +
            `a value it does not check made it fail (see \`docker logs\` of the broker, or /var/log/rabbitmq on the host); ` +
            `check the arguments and policy definitions in burrow:queues, burrow:exchanges and burrow:policies`
        );
    const o = refusedObject(reason);
    // The object is named by burrow's label; the broker's "(//p)" or "for queue 'q' in vhost '/'" is then noise.
    const why = o
        ? reason
              .replace(/\s*\(([^()]*)\)\s*$/, "")
              .replace(/ (for|in) (queue|exchange) '[^']*' in vhost '[^']*'/, "")
              .replace(/^precondition_failed: /, "")
        : reason;
    return o
        ? `RabbitMQ refused ${o.kind} ${objectLabel(o.vhost, o.name)} (${CONFIG_KEY[o.kind]}): ${why}; correct it and run up again`
        : `RabbitMQ refused the definitions import (${counts}): ${reason}; correct the object it names and run up again`;
}

/** A host port the broker container needs is taken (or cannot be opened: `code` other than EADDRINUSE). */
export function portInUseMessage(
    container: string,
    address: string,
    port: number,
    key: string,
    code = "EADDRINUSE",
): string {
    const why =
        code === "EADDRINUSE"
            ? "it is already in use"
            : code === "EACCES"
              ? "this user may not open it (ports below 1024 need root)"
              : `it cannot be opened (${code})`;
    return (
        `the broker container ${container} cannot publish port ${port} on ${address} (burrow:${key}): ${why}. ` +
        `Stop what listens there (\`ss -ltnp 'sport = :${port}'\`) or choose another port: ` +
        `\`npm run pulumi -- config set burrow:${key} <port>\``
    );
}

/** burrow:bindAddress is not an address of this host. */
export function bindAddressMissingMessage(container: string, address: string): string {
    return `the broker container ${container} cannot publish its ports on ${address} (burrow:bindAddress): it is not an address of this host; use one it has (\`ip -brief address\`), e.g. 127.0.0.1: \`npm run pulumi -- config set burrow:bindAddress 127.0.0.1\``;
}

/** The base image the broker image builds FROM is not in the local engine. */
export function baseImageMissingMessage(image: string): string {
    const release = /^burrow\/debian:(\w+)$/.exec(image)?.[1];
    return release && (DEBIAN_RELEASES as readonly string[]).includes(release)
        ? `the base image ${image} (burrow:baseImage, from burrow:debianRelease ${release}) is not in the local Docker engine; make it with \`npm run bootstrap -- --release ${release}\``
        : `the base image ${image} (burrow:baseImage) is not in the local Docker engine; load or build it, or set burrow:baseImage to a local image (\`docker image ls\`)`;
}

/** The broker image did not build FROM the base image; `output` is the failed docker build's. */
export function imageBuildFailedMessage(tag: string, baseImage: string, output: string): string {
    const text = cleanMessage(output);
    // Debian testing's Release is valid for a week; a base image made before bootstrap set
    // Check-Valid-Until=false for it cannot install anything once the mirror's copy is older.
    const release = /^burrow\/debian:(\w+)$/.exec(baseImage)?.[1];
    const expired =
        /Release file for .* is expired/.test(text) && release
            ? ` The mirror's Release file has expired and ${baseImage} does not ignore that: it was made by an older bootstrap; make it again: \`docker image rm ${baseImage} && npm run bootstrap -- --release ${release}\`.`
            : "";
    return `building the broker image ${tag} FROM ${baseImage} (burrow:baseImage) failed; apt-get in the build must reach Debian's mirror.${expired} The build said: ${text}`;
}

/** How a failed SSH connection reads, by what went wrong. */
export type SshFailure =
    | { kind: "host-key-mismatch"; keyType: string }
    | { kind: "host-key-not-pinned" }
    | { kind: "no-key-of-pinned-type"; keyType: string }
    | { kind: "key-refused"; user: string }
    | { kind: "unreachable"; detail: string };

/** A host burrow could not connect to over SSH: the host, the `burrow:ssh.*` key to look at, what to do. */
export function sshConnectMessage(host: string, port: number, f: SshFailure): string {
    const where = `host ${host}:${port}`;
    switch (f.kind) {
        case "host-key-mismatch":
            return `${where}: the ${f.keyType} host key does not match burrow:ssh.hostKey (a different host, or the host was rebuilt); check it with ssh-keyscan -t ${f.keyType} -p ${port} ${host} and update the pin`;
        case "host-key-not-pinned":
            return `${where}: host-key checking is on and burrow:ssh.hostKey is not set; pin it (ssh-keyscan -p ${port} ${host}) or set burrow:ssh.insecureIgnoreHostKey true`;
        case "no-key-of-pinned-type":
            return `${where}: the host has no ${f.keyType} host key, the type pinned in burrow:ssh.hostKey; pin a key it has (ssh-keyscan -p ${port} ${host})`;
        case "key-refused":
            return `${where}: the key in burrow:ssh.privateKey was refused for user "${f.user}" (burrow:ssh.user); add its public key to that user's ~/.ssh/authorized_keys on the host, or set the key the host accepts`;
        case "unreachable":
            return `${where} could not be reached (burrow:ssh.host, burrow:ssh.port): ${cleanMessage(f.detail)}; check the address and that sshd listens there`;
    }
}

/** A host with a RabbitMQ this stack did not install (lib/host-ownership.ts): what shows it, and the consent that adopts it. */
export function foreignRabbitmqMessage(host: string, port: number, hostname: string, found: string): string {
    return (
        `host ${host}:${port} (hostname ${hostname}) already has a RabbitMQ that this stack did not install: ${found}. ` +
        `burrow changed nothing on it. Use a host without RabbitMQ, remove it yourself, or let this stack take it over: ` +
        `\`pulumi config set --path burrow:ssh.adoptExisting true\` (destroy then restores its configuration and keeps its packages and data; ` +
        `"purge" instead of true lets destroy remove it)`
    );
}

/** A step of the SSH target that failed on the host: the host, the step, the last lines it printed. */
export function sshStepFailedMessage(host: string, port: number, step: string, code: number, tail: string): string {
    return `host ${host}:${port}: ${step} failed (exit ${code})${tail ? `:\n${cleanMessage(tail)}` : ""}`;
}

/** The smoke test: which step failed, on which queue, and why. */
export function smokeFailedMessage(step: string, vhost: string, queue: string | undefined, why: string): string {
    const where = `${step}${queue !== undefined ? ` on queue "${queue}"` : ""} in vhost "${vhost}"`;
    return `smoke test failed at ${where}: ${cleanMessage(why)}`;
}

// ---- The program's side ------------------------------------------------------------------

/** gRPC's UNAVAILABLE (14) or CANCELLED (1) from the engine: it is shutting down. */
function isEngineShutdown(e: unknown): boolean {
    const x = e as { code?: unknown; details?: unknown } | undefined;
    return !!x && typeof x === "object" && (x.code === 14 || x.code === 1) && typeof x.details === "string";
}

const QUIET_KEY = Symbol.for("burrow.quietEngineShutdown");

/**
 * When a resource fails (a provider refused it), the engine reports that error and shuts down;
 * calls the program still has in flight then fail with gRPC UNAVAILABLE ("resource monitor
 * shut down"), which @pulumi/pulumi reports as a second, unhandled exception with a stack
 * trace and ANSI colours. Those are only the echo of the error already shown: they are dropped
 * here, and every other error still goes to Pulumi's own handlers.
 */
export function quietEngineShutdown(proc: NodeJS.EventEmitter = process): void {
    const marked = proc as unknown as Record<symbol, boolean>;
    if (marked[QUIET_KEY]) return;
    marked[QUIET_KEY] = true;
    for (const event of ["unhandledRejection", "uncaughtException"]) {
        const handlers = proc.listeners(event) as Array<(...a: unknown[]) => void>;
        proc.removeAllListeners(event);
        proc.on(event, (err: unknown, ...rest: unknown[]) => {
            if (isEngineShutdown(err)) return;
            for (const h of handlers) h(err, ...rest);
        });
    }
}
