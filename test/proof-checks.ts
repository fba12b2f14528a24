// Pure checks the security tests judge by, kept apart so unit tests can show each one
// catches the fault it names (a socket on 0.0.0.0, a secret in a file) without a broker.

export interface Listener {
    address: string;
    port: number;
}

function ipv4(hex: string): string {
    // /proc/net/tcp prints the address as one 32-bit word in host (little-endian) order.
    const b = Buffer.from(hex, "hex");
    return [b[3], b[2], b[1], b[0]].join(".");
}

function ipv6(hex: string): string {
    // Four 32-bit words, each in host (little-endian) order.
    const words: string[] = [];
    for (let w = 0; w < 4; w++) {
        const b = Buffer.from(hex.slice(w * 8, w * 8 + 8), "hex");
        words.push(Buffer.from([b[3], b[2], b[1], b[0]]).toString("hex"));
    }
    const groups = words
        .join("")
        .match(/.{4}/g)!
        .map((g) => g.replace(/^0+(?=.)/, ""));
    // Compress the longest run of zero groups, as `ss` prints it.
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8;) {
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best.len) best = { at: i, len: j - i };
        i = j === i ? i + 1 : j;
    }
    if (best.len < 2) return groups.join(":");
    const head = groups.slice(0, best.at).join(":");
    const tail = groups.slice(best.at + best.len).join(":");
    return `${head}::${tail}`;
}

/** The listening TCP sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): Listener[] {
    const out: Listener[] = [];
    for (const line of text.split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 4 || cols[3] !== "0A") continue; // 0A = LISTEN
        const [addr, port] = cols[1].split(":");
        out.push({ address: addr.length === 8 ? ipv4(addr) : ipv6(addr), port: parseInt(port, 16) });
    }
    return out;
}

/** Loopback as burrow promises it: 127.0.0.1 or ::1 (not "anything in 127/8", not 0.0.0.0). */
export const isLoopback = (address: string) => address === "127.0.0.1" || address === "::1";

/**
 * The texts whose presence would show a secret leaked: the value itself, as a JSON string
 * body, and in base64. A PEM key is searched by its body lines, without the lines it shares
 * with `sibling` (another key made the same way): an OpenSSH ed25519 key's first line, for
 * one, is the same fixed header for every key and proves nothing.
 */
export function leakNeedles(secret: string, sibling?: string): string[] {
    if (secret.includes("-----BEGIN")) {
        const body = (pem: string) =>
            pem
                .split(/\r?\n/)
                .map((l) => l.trim())
                .filter((l) => l.length >= 16 && !l.startsWith("-----"));
        const shared = new Set(sibling ? body(sibling) : []);
        return body(secret).filter((l) => !shared.has(l));
    }
    const needles = new Set([secret, JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString("base64")]);
    return [...needles].filter((n) => n.length >= 8);
}

/** Which secrets appear (by any needle) in which places: [secret label, place label] pairs. */
export function findLeaks(
    secrets: Record<string, { value: string; sibling?: string }>,
    places: Record<string, string>,
): Array<{ secret: string; place: string }> {
    const found: Array<{ secret: string; place: string }> = [];
    for (const [label, s] of Object.entries(secrets)) {
        const needles = leakNeedles(s.value, s.sibling);
        if (needles.length === 0) throw new Error(`secret ${label} has nothing specific to search for`);
        for (const [place, text] of Object.entries(places))
            if (needles.some((n) => text.includes(n))) found.push({ secret: label, place });
    }
    return found;
}
