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

/** The same URL with the vhost as its path ("/" is %2F), as amqplib takes it. */
export function amqpUrlFor(base: string, vhost: string): string {
    const u = new URL(base);
    u.pathname = "/" + encodeURIComponent(vhost);
    return u.toString();
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
