// Client addresses of a broker: built only here.

/** Where a client on this host reaches a port published on `bindAddress` (IPv6 in brackets). */
export function clientHost(bindAddress: string): string {
    if (bindAddress === "0.0.0.0") return "127.0.0.1";
    if (bindAddress === "::") return "[::1]";
    return bindAddress.includes(":") && !bindAddress.startsWith("[") ? `[${bindAddress}]` : bindAddress;
}

/** amqp(s)://user:password@host:port, user and password percent-encoded (they may hold any character). */
export function amqpUrl(a: {
    scheme: "amqp" | "amqps";
    username: string;
    password: string;
    host: string;
    port: number;
}) {
    return `${a.scheme}://${encodeURIComponent(a.username)}:${encodeURIComponent(a.password)}@${a.host}:${a.port}`;
}

/** A URL fit to print: the password replaced by ***. */
export function redactUrl(url: string): string {
    try {
        const u = new URL(url);
        if (u.password) u.password = "***";
        return u.toString();
    } catch {
        return "<invalid url>";
    }
}

/**
 * What amqplib's connect() needs, from an amqp(s):// URL, with the user and password decoded
 * as UTF-8. amqplib decodes a URL's credentials with `unescape` (Latin-1), so a password with
 * any non-ASCII character fails to log in when given as a URL; burrow always connects with this.
 */
export function amqpConnectSpec(url: string, vhost?: string) {
    const u = new URL(url);
    const path = decodeURIComponent(u.pathname.replace(/^\//, ""));
    return {
        protocol: u.protocol.replace(/:$/, ""),
        hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port ? Number(u.port) : u.protocol === "amqps:" ? 5671 : 5672,
        username: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        vhost: vhost ?? (path === "" ? "/" : path),
    };
}
