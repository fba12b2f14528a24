// General checks of one value each: ports, numbers, booleans, names, lists. Each returns the
// parsed value, or records a problem naming the key and returns undefined. Config from the
// CLI arrives as strings, so numbers and booleans are parsed here too.
import * as net from "net";
import { Problems } from "./problems";

export function show(v: unknown): string {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
}

export function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A Pulumi Output (or any value resolved later): passed through, validated where it is used. */
export function isDeferred(v: unknown): boolean {
    return isObject(v) && typeof (v as { apply?: unknown }).apply === "function";
}

/** Config from the CLI arrives as strings; numbers and booleans are parsed here. */
export function parseScalar(v: unknown): unknown {
    if (typeof v !== "string") return v;
    const t = v.trim();
    if (t === "true") return true;
    if (t === "false") return false;
    // Decimal only: Number() would also read "0x7A48", "0b1", "Infinity" and "1_0" as numbers.
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    return v;
}

/** A list or object given as JSON text (config set without --path) is parsed. */
export function parseJsonish(v: unknown): unknown {
    if (typeof v === "string" && /^\s*[[{]/.test(v)) {
        try {
            return JSON.parse(v);
        } catch {
            return v;
        }
    }
    return v;
}

export function oneOf<T extends string>(p: Problems, key: string, v: unknown, allowed: readonly T[]): T | undefined {
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    return p.add(key, `is ${show(v)}; allowed: ${allowed.join(", ")}`);
}

export function port(p: Problems, key: string, v: unknown): number | undefined {
    const n = parseScalar(v);
    if (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535) return n as number;
    return p.add(key, `is ${show(v)}; a port is a whole number from 1 to 65535`);
}

export function integer(
    p: Problems,
    key: string,
    v: unknown,
    min: number,
    max: number,
    unit: string,
): number | undefined {
    const n = parseScalar(v);
    if (Number.isInteger(n) && (n as number) >= min && (n as number) <= max) return n as number;
    return p.add(key, `is ${show(v)}; use a whole number of ${unit} from ${min} to ${max}`);
}

export function fraction(p: Problems, key: string, v: unknown): number | undefined {
    const n = parseScalar(v);
    if (typeof n === "number" && n >= 0.1 && n <= 0.9) return n;
    return p.add(key, `is ${show(v)}; use a fraction of the memory limit from 0.1 to 0.9 (RabbitMQ's default is 0.6)`);
}

export function bool(p: Problems, key: string, v: unknown): boolean | undefined {
    const b = parseScalar(v);
    if (typeof b === "boolean") return b;
    return p.add(key, `is ${show(v)}; use true or false`);
}

export function address(p: Problems, key: string, v: unknown): string | undefined {
    if (typeof v === "string" && net.isIP(v) !== 0) return v;
    return p.add(key, `is ${show(v)}; use an IP address of this host, e.g. 127.0.0.1 (the default) or ::1`);
}

export function imageRef(p: Problems, key: string, v: unknown): string | undefined {
    if (typeof v === "string" && /^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/.test(v)) return v;
    return p.add(key, `is ${show(v)}; use a local image reference such as burrow/debian:trixie`);
}

export function list(p: Problems, key: string, v: unknown): unknown[] {
    const x = parseJsonish(v);
    if (x === undefined) return [];
    if (Array.isArray(x)) return x;
    p.add(
        key,
        p.source === "config"
            ? `is ${show(v)}; it must be a list (set it with --path ${p.ref(`${key}[0]`).slice(1, -1)}... or --json)`
            : `is ${show(v)}; it must be a list`,
    );
    return [];
}

/** Each entry of a list through `parse`, keeping those that parsed. */
export function listOf<T>(
    p: Problems,
    key: string,
    v: unknown,
    parse: (key: string, item: unknown) => T | undefined,
): T[] {
    return list(p, key, v).flatMap((x, i) => {
        const r = parse(`${key}[${i}]`, x);
        return r === undefined ? [] : [r];
    });
}

export function controlChars(s: string): boolean {
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f]/.test(s);
}

/** Queue, exchange, user and vhost names: 1..255 UTF-8 bytes, no control characters. */
export function nameProblem(v: unknown, what: string): string | undefined {
    if (typeof v !== "string" || v.length === 0) return `is ${show(v)}; a ${what} is a non-empty string`;
    if (Buffer.byteLength(v, "utf8") > 255)
        return `is ${Buffer.byteLength(v, "utf8")} bytes long; a ${what} has at most 255 bytes`;
    if (controlChars(v)) return `${show(v)} contains control characters; a ${what} may not`;
    return undefined;
}

export function name(p: Problems, key: string, v: unknown, what: string): string | undefined {
    const problem = nameProblem(v, what);
    return problem ? p.add(key, problem) : (v as string);
}

/** A password: at least 8 characters, no control characters; a deferred (secret) value passes through. */
export function password<T>(p: Problems, key: string, v: T): T | string | undefined {
    if (v === undefined || v === null) return undefined;
    if (isDeferred(v)) return v;
    if (typeof v !== "string" || v.length < 8 || controlChars(v)) {
        return p.add(
            key,
            `must be a string of at least 8 characters without control characters${p.source === "config" ? " (set it with --secret)" : ""}`,
        );
    }
    return v;
}

export function regexProblem(v: unknown): string | undefined {
    if (typeof v !== "string")
        return `is ${show(v)}; a permission pattern is a regular expression string such as ".*" (or "" for none)`;
    try {
        new RegExp(v);
        return undefined;
    } catch (e) {
        return `${show(v)} is not a valid regular expression (${(e as Error).message})`;
    }
}

export function unknownFields(p: Problems, key: string, o: Record<string, unknown>, allowed: readonly string[]) {
    for (const f of Object.keys(o)) {
        if (!allowed.includes(f)) p.add(`${key}.${f}`, `is not a field here; allowed: ${allowed.join(", ")}`);
    }
}

export function duplicates(p: Problems, key: string, items: Array<[string, string]>) {
    const seen = new Set<string>();
    for (const [id, label] of items) {
        if (seen.has(id)) p.add(key, `declares ${label} twice; each must be unique`);
        seen.add(id);
    }
}
