// TLS listeners (AMQPS and HTTPS management) with a CA the stack generates.
import { Problems } from "./problems";
import { TlsSettings } from "./types";
import { bool, isObject, parseJsonish, port, show, unknownFields } from "./values";

export function tlsSettings(
    p: Problems,
    v: unknown,
    plainPorts: Array<number | undefined>,
    metricsPort?: number | null,
): TlsSettings | undefined {
    const x = parseJsonish(v);
    if (!isObject(x))
        return p.add(
            "tls",
            `is ${show(v)}; use an object like {"only": true} (AMQPS on 5671, HTTPS management on 15671)`,
        );
    unknownFields(p, "tls", x, ["only", "amqpsPort", "managementPort", "hostnames"]);
    const only = bool(p, "tls.only", x.only ?? false);
    const amqpsPort = port(p, "tls.amqpsPort", x.amqpsPort ?? 5671);
    const managementPort = port(p, "tls.managementPort", x.managementPort ?? 15671);
    const ports = [amqpsPort, managementPort, ...(only ? [] : plainPorts), metricsPort ?? undefined].filter(
        (n) => n !== undefined,
    );
    if (new Set(ports).size !== ports.length)
        p.add(
            "tls",
            `ports must differ from each other and from ${p.ref("amqpPort")}/${p.ref("managementPort")}/${p.ref("metricsPort")} (got ${ports.join(", ")})`,
        );
    const names = x.hostnames ?? ["localhost"];
    const hostnames =
        Array.isArray(names) &&
        names.every((n) => typeof n === "string" && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(n))
            ? (names as string[])
            : p.add(
                  "tls.hostnames",
                  `is ${show(names)}; use a list of DNS names such as ["localhost", "rabbit.example"]`,
              );
    if (only === undefined || amqpsPort === undefined || managementPort === undefined || hostnames === undefined)
        return undefined;
    return { only, amqpsPort, managementPort, hostnames };
}
