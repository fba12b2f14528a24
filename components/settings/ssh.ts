// The SSH target: how burrow reaches one host or a cluster's hosts, and extra apt
// repositories to install from.
import { Problems } from "./problems";
import { AptSourceSettings, SshHostSettings, SshSettings } from "./types";
import { MAX_CLUSTER_NODES } from "./cluster";
import { address, bool, duplicates, isObject, parseJsonish, parseScalar, port, show, unknownFields } from "./values";

const SSH_FIELDS = [
    "host",
    "hosts",
    "port",
    "user",
    "privateKey",
    "hostKey",
    "insecureIgnoreHostKey",
    "tunnel",
    "adoptExisting",
    "accessHost",
    "accessAmqpPort",
    "accessManagementPort",
    "accessMetricsPort",
];
const SSH_HOST_FIELDS = [
    "host",
    "port",
    "hostKey",
    "nodeName",
    "accessHost",
    "accessAmqpPort",
    "accessManagementPort",
    "accessMetricsPort",
];

/** `ssh.hosts`'s length when it is a list (the SSH cluster's node count), else undefined. */
export function countOfHosts(v: unknown): number | undefined {
    const x = parseJsonish(v);
    if (!isObject(x)) return undefined;
    const hosts = parseJsonish(x.hosts);
    return Array.isArray(hosts) ? hosts.length : undefined;
}

export function sshSettings(
    p: Problems,
    v: unknown,
    amqpPort: number | undefined,
    managementPort: number | undefined,
    clusterSet: boolean,
    metricsPort: number | null | undefined = null,
): SshSettings | undefined {
    const x = parseJsonish(v);
    if (!isObject(x))
        return p.add(
            "ssh",
            `is required when ${p.ref("target")} is ssh: {"host": "...", "privateKey": "...", "hostKey": "ssh-ed25519 AAAA..."}`,
        );
    unknownFields(p, "ssh", x, SSH_FIELDS);
    const user =
        typeof (x.user ?? "root") === "string" && /^[a-z_][a-z0-9_-]*$/.test((x.user ?? "root") as string)
            ? ((x.user ?? "root") as string)
            : p.add("ssh.user", `is ${show(x.user)}; a user name such as root (or a user with passwordless sudo)`);
    const privateKey =
        typeof x.privateKey === "string" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(x.privateKey)
            ? x.privateKey
            : p.add(
                  "ssh.privateKey",
                  `must be a private key's text (-----BEGIN ... PRIVATE KEY-----); ${
                      p.source === "config"
                          ? `set it from the key file with ${p.howToSet("ssh.privateKey", "< KEY_FILE", "--secret --path")} (on the command line a value that starts with ----- is taken for a flag)`
                          : "pass the key file's text"
                  }`,
              );
    const insecure = bool(p, "ssh.insecureIgnoreHostKey", x.insecureIgnoreHostKey ?? false);
    const tunnel = bool(p, "ssh.tunnel", x.tunnel ?? false);
    const adoptExisting =
        x.adoptExisting === "purge"
            ? ("purge" as const)
            : typeof parseScalar(x.adoptExisting ?? false) === "boolean"
              ? (parseScalar(x.adoptExisting ?? false) as boolean)
              : p.add(
                    "ssh.adoptExisting",
                    `is ${show(x.adoptExisting)}; use false (refuse a RabbitMQ this stack did not install), true (adopt it; destroy keeps it) or "purge" (adopt it; destroy removes it)`,
                );
    const hostsRaw = parseJsonish(x.hosts);
    let hosts: SshHostSettings[] | undefined;
    if (hostsRaw === undefined) {
        // The single-host form: `ssh.host` and its fields at the top level.
        const h = sshHost(p, "ssh", x, x.port, insecure, amqpPort, managementPort, metricsPort);
        hosts = h && [h];
    } else {
        // A cluster's hosts: user, key, host-key policy (and a default port) shared from `ssh`.
        for (const f of [
            "host",
            "hostKey",
            "accessHost",
            "accessAmqpPort",
            "accessManagementPort",
            "accessMetricsPort",
        ]) {
            if (x[f] !== undefined)
                p.add(
                    `ssh.${f}`,
                    `is set together with ${p.ref("ssh.hosts")}; give it per host in ssh.hosts[i] (or use ssh.host alone for one broker)`,
                );
        }
        if (!Array.isArray(hostsRaw))
            return p.add(
                "ssh.hosts",
                `is ${show(x.hosts)}; use a list like [{"host": "10.0.0.1", "hostKey": "ssh-ed25519 AAAA..."}, ...]`,
            );
        if (hostsRaw.length === 0)
            p.add("ssh.hosts", `lists no hosts; give at least one {"host": "...", "hostKey": "..."}`);
        if (hostsRaw.length > MAX_CLUSTER_NODES)
            p.add(
                "ssh.hosts",
                `lists ${hostsRaw.length} hosts; burrow builds clusters of 1 to ${MAX_CLUSTER_NODES} nodes`,
            );
        if (!clusterSet)
            p.add(
                "ssh.hosts",
                `makes a cluster, but ${p.ref("cluster")} is not set; set it (e.g. ${p.howToSet("cluster", "true")}) or use ${p.ref("ssh.host")} for one broker`,
            );
        if (tunnel)
            p.add(
                "ssh.tunnel",
                `cannot be combined with ${p.ref("ssh.hosts")} (a cluster): the nodes must reach each other and burrow must reach every node directly; set it to false`,
            );
        const port0 = x.port === undefined ? undefined : (port(p, "ssh.port", x.port) ?? 22);
        const parsed = hostsRaw.map((h, i) => {
            const key = `ssh.hosts[${i}]`;
            if (!isObject(h))
                return p.add(
                    key,
                    `must be an object like {"host": "10.0.0.1", "port": 22, "hostKey": "ssh-ed25519 AAAA...", "nodeName": "rabbit@node1"}`,
                );
            unknownFields(p, key, h, SSH_HOST_FIELDS);
            return sshHost(p, key, h, h.port ?? port0, insecure, amqpPort, managementPort, metricsPort);
        });
        duplicates(
            p,
            "ssh.hosts",
            parsed.flatMap((h) =>
                h ? [[`${h.host}:${h.port}`, `host ${h.host} port ${h.port}`] as [string, string]] : [],
            ),
        );
        duplicates(
            p,
            "ssh.hosts",
            parsed.flatMap((h) => (h?.nodeName ? [[h.nodeName, `node name ${h.nodeName}`] as [string, string]] : [])),
        );
        hosts = parsed.every((h) => h !== undefined) && parsed.length > 0 ? (parsed as SshHostSettings[]) : undefined;
    }
    if (
        hosts === undefined ||
        user === undefined ||
        privateKey === undefined ||
        insecure === undefined ||
        tunnel === undefined ||
        adoptExisting === undefined
    )
        return undefined;
    const { nodeName: _nodeName, ...first } = hosts[0];
    return { ...first, user, privateKey, insecureIgnoreHostKey: insecure, tunnel, adoptExisting, hosts };
}

/** One host's address, port, host key, node name and access address; `key` is `ssh` or `ssh.hosts[i]`. */
function sshHost(
    p: Problems,
    key: string,
    x: Record<string, unknown>,
    portValue: unknown,
    insecure: boolean | undefined,
    amqpPort: number | undefined,
    managementPort: number | undefined,
    metricsPort: number | null | undefined,
): SshHostSettings | undefined {
    const host =
        typeof x.host === "string" && /^[A-Za-z0-9.:_-]+$/.test(x.host)
            ? x.host
            : p.add(`${key}.host`, `is ${show(x.host)}; use the host's name or IP address`);
    const sshPort = port(p, `${key}.port`, portValue ?? 22);
    let hostKey: string | undefined;
    if (x.hostKey !== undefined) {
        if (
            typeof x.hostKey === "string" &&
            /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+/.test(x.hostKey.trim())
        )
            hostKey = x.hostKey.trim();
        else
            p.add(
                `${key}.hostKey`,
                `is ${show(x.hostKey)}; use the key as ssh-keyscan prints it, e.g. "ssh-ed25519 AAAAC3..."`,
            );
    } else if (insecure === false) {
        p.add(
            `${key}.hostKey`,
            `is required: host-key checking is on; pin the key (ssh-keyscan -p PORT HOST) or set ${p.ref("ssh.insecureIgnoreHostKey")} true`,
        );
    }
    let nodeName = "";
    if (x.nodeName !== undefined) {
        // Short names only: RabbitMQ's default, and a cluster cannot mix short and long names.
        if (typeof x.nodeName === "string" && /^[A-Za-z0-9_-]+@[A-Za-z0-9_-]+$/.test(x.nodeName)) nodeName = x.nodeName;
        else
            p.add(
                `${key}.nodeName`,
                `is ${show(x.nodeName)}; use a short node name such as "rabbit@node1" (no dots; every host must resolve the part after @), or leave it out for rabbit@<the host's hostname -s>`,
            );
    }
    const accessHost = x.accessHost === undefined ? host : address(p, `${key}.accessHost`, x.accessHost);
    const accessAmqpPort =
        x.accessAmqpPort === undefined ? amqpPort : port(p, `${key}.accessAmqpPort`, x.accessAmqpPort);
    const accessManagementPort =
        x.accessManagementPort === undefined
            ? managementPort
            : port(p, `${key}.accessManagementPort`, x.accessManagementPort);
    // With metrics off (null) there is no endpoint to reach; 0 stands for "none".
    const accessMetricsPort =
        x.accessMetricsPort === undefined
            ? metricsPort === undefined
                ? undefined
                : (metricsPort ?? 0)
            : port(p, `${key}.accessMetricsPort`, x.accessMetricsPort);
    if (
        host === undefined ||
        sshPort === undefined ||
        accessHost === undefined ||
        accessAmqpPort === undefined ||
        accessManagementPort === undefined ||
        accessMetricsPort === undefined
    )
        return undefined;
    return {
        host,
        port: sshPort,
        hostKey,
        nodeName,
        accessHost,
        accessAmqpPort,
        accessManagementPort,
        accessMetricsPort,
    };
}

export function aptSource(p: Problems, key: string, v: unknown): AptSourceSettings | undefined {
    if (!isObject(v))
        return p.add(
            key,
            `must be an object like {"name": "updates", "uri": "http://deb.debian.org/debian", "suite": "trixie-updates", "components": ["main"], "key": "-----BEGIN PGP PUBLIC KEY BLOCK-----..."}`,
        );
    unknownFields(p, key, v, ["name", "uri", "suite", "components", "key"]);
    const n =
        typeof v.name === "string" && /^[a-z0-9][a-z0-9-]{0,40}$/.test(v.name)
            ? v.name
            : p.add(
                  `${key}.name`,
                  `is ${show(v.name)}; use lowercase letters, digits and dashes (it names the .list file)`,
              );
    const uri =
        typeof v.uri === "string" && /^https?:\/\/[^\s]+$/.test(v.uri)
            ? v.uri
            : p.add(`${key}.uri`, `is ${show(v.uri)}; use an http:// or https:// repository address`);
    const suite =
        typeof v.suite === "string" && /^[A-Za-z0-9._/-]+$/.test(v.suite)
            ? v.suite
            : p.add(`${key}.suite`, `is ${show(v.suite)}; use a suite such as trixie-updates`);
    const comps = v.components ?? ["main"];
    const components =
        Array.isArray(comps) && comps.length > 0 && comps.every((c) => typeof c === "string" && /^[a-z0-9-]+$/.test(c))
            ? (comps as string[])
            : p.add(`${key}.components`, `is ${show(comps)}; use a list such as ["main"]`);
    const k = v.key ?? "";
    const keyOk = typeof k === "string" && (k === "" || /-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(k));
    if (!keyOk)
        p.add(
            `${key}.key`,
            "must be an ASCII-armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----), or empty when the host already trusts the suite",
        );
    if (n === undefined || uri === undefined || suite === undefined || components === undefined || !keyOk)
        return undefined;
    return { name: n, uri, suite, components, key: k as string };
}
