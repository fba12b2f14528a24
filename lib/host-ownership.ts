// Who owns the RabbitMQ on an SSH host, and what burrow may remove from it. Pure decisions
// over facts read from the host (factsScript), so each rule is tested without a host.
//
// On the host, /etc/burrow/owner is the marker: the stack's owner id (lib/ownership.ts), the
// install id of the one RemoteRabbitmq resource that manages the host now, whether that install
// adopted a RabbitMQ that was there before, and the node name. /etc/burrow/packages lists the
// packages burrow itself installed (not those that were there before). A replacement on the
// same box (a node renamed, one host turned into ssh.hosts) writes a new install id, so the old
// resource's delete sees the box is no longer its own and leaves it alone; destroy removes only
// listed packages that nothing else installed still needs, and never autoremoves.

import { foreignRabbitmqMessage } from "./errors";

/** What adoptExisting allows: false refuses a foreign RabbitMQ; true adopts it and leaves it on destroy; "purge" adopts and removes it. */
export type AdoptPolicy = boolean | "purge";

export interface HostMarker {
    owner: string;
    install: string;
    adopted: boolean;
    /** Adopted: the foreign node was running when burrow took it over (destroy starts it again). */
    adoptedRunning: boolean;
    node: string;
}

/** A package dpkg lists as installed, with the names it depends on and the virtual names it provides. */
export interface InstalledPackage {
    name: string;
    depends: string[];
    provides: string[];
}

export interface HostFacts {
    hostname: string;
    marker?: HostMarker;
    /** /etc/burrow/packages: what burrow installed. */
    packages: string[];
    /** rabbitmq-server as dpkg knows it (undefined: never installed). */
    rabbitmq?: { installed: boolean; version: string };
    /** /var/lib/rabbitmq/mnesia exists: a node's data is on the host. */
    hasData: boolean;
    /** A process of user rabbitmq runs. */
    running: boolean;
    /** Every installed package (read for delete only). */
    installed?: InstalledPackage[];
}

const SECTIONS = ["hostname", "marker", "packages", "rabbitmq", "data", "running", "installed"] as const;

/** Reads the facts, as "@@section" lines followed by the section's text; read-only. */
export function factsScript(withInstalled: boolean): string {
    return `set -u
echo @@hostname; hostname
echo @@marker; cat /etc/burrow/owner 2>/dev/null || true
echo @@packages; cat /etc/burrow/packages 2>/dev/null || true
echo @@rabbitmq; dpkg-query -W -f='\${db:Status-Abbrev}|\${Version}\\n' rabbitmq-server 2>/dev/null || true
echo @@data; [ -d /var/lib/rabbitmq/mnesia ] && echo yes || true
echo @@running; pgrep -u rabbitmq >/dev/null 2>&1 && echo yes || true
echo @@installed
${withInstalled ? `dpkg-query -W -f='\${db:Status-Abbrev}\\t\${Package}\\t\${Depends}\\t\${Pre-Depends}\\t\${Provides}\\n'` : "true"}
`;
}

/** Installed in dpkg's terms: the status letter (second of db:Status-Abbrev) is not n(ot) or c(onfig-files). */
const isInstalled = (abbrev: string) => abbrev.length >= 2 && !"nc".includes(abbrev[1]);

/** Package names in a Depends/Provides field: alternatives and versions dropped, ":any" and arch qualifiers stripped. */
export function packageNames(field: string): string[] {
    return field
        .split(/[,|]/)
        .map(
            (d) =>
                d
                    .replace(/\(.*?\)/g, "")
                    .trim()
                    .split(/\s+/)[0] ?? "",
        )
        .map((d) => d.replace(/:.*$/, ""))
        .filter(Boolean);
}

export function parseMarker(text: string): HostMarker | undefined {
    const kv = Object.fromEntries(
        text
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
    );
    if (!kv.owner && !kv.install) return undefined;
    return {
        owner: kv.owner ?? "",
        install: kv.install ?? "",
        adopted: kv.adopted === "1",
        adoptedRunning: kv.adoptedRunning === "1",
        node: kv.node ?? "",
    };
}

export function parseFacts(out: string): HostFacts {
    const sec: Record<string, string[]> = {};
    let cur = "";
    for (const line of out.split("\n")) {
        const m = /^@@(\w+)$/.exec(line);
        if (m && (SECTIONS as readonly string[]).includes(m[1])) cur = m[1];
        else if (cur) (sec[cur] ??= []).push(line);
    }
    const lines = (k: string) => (sec[k] ?? []).filter((l) => l.trim() !== "");
    const rmq = lines("rabbitmq")[0];
    const [abbrev, version] = rmq ? rmq.split("|") : ["", ""];
    const installed = lines("installed")
        .map((l) => l.split("\t"))
        .filter((f) => isInstalled(f[0] ?? ""))
        .map((f) => ({
            name: f[1],
            depends: packageNames(`${f[2] ?? ""},${f[3] ?? ""}`),
            provides: packageNames(f[4] ?? ""),
        }));
    return {
        hostname: lines("hostname")[0] ?? "",
        marker: parseMarker(lines("marker").join("\n")),
        packages: lines("packages").map((l) => l.trim()),
        rabbitmq: rmq ? { installed: isInstalled(abbrev), version: version ?? "" } : undefined,
        hasData: lines("data")[0] === "yes",
        running: lines("running")[0] === "yes",
        installed: sec["installed"] ? installed : undefined,
    };
}

/** How this install relates to what is on the host: nothing there, burrow's own (this stack's), or a foreign one adopted with consent. */
export type InstallOrigin = "fresh" | "ours" | "adopt";

export interface InstallPlan {
    origin: InstallOrigin;
    adopted: boolean;
    adoptedRunning: boolean;
}

export class ForeignRabbitmqError extends Error {}

/** What on the host shows a RabbitMQ that this stack did not install ("" when nothing does). */
function foreignEvidence(f: HostFacts): string {
    if (f.marker) return `another burrow stack (owner ${f.marker.owner}) installed it (/etc/burrow/owner)`;
    if (f.rabbitmq?.installed)
        return `rabbitmq-server ${f.rabbitmq.version} is installed and /etc/burrow/owner is absent (burrow did not install it)`;
    if (f.hasData) return `/var/lib/rabbitmq/mnesia holds a node's data and /etc/burrow/owner is absent`;
    return "";
}

/**
 * Ours: the marker names this resource's install id (the state proves it, even after the
 * stack moved to another backend) or this stack's owner (our own kept data, or an install of
 * this stack that another resource made: a host turned into ssh.hosts). `claim`: a state
 * written before markers existed, whose install burrow made without one.
 */
export function planInstall(
    f: HostFacts,
    want: { owner: string; installId: string; adoptExisting: AdoptPolicy; claim: boolean },
    at: { host: string; port: number },
): InstallPlan {
    const m = f.marker;
    if (m && (m.install === want.installId || m.owner === want.owner))
        return { origin: "ours", adopted: m.adopted, adoptedRunning: m.adoptedRunning };
    if (!m && want.claim) return { origin: "ours", adopted: false, adoptedRunning: false };
    const evidence = foreignEvidence(f);
    if (!evidence) return { origin: "fresh", adopted: false, adoptedRunning: false };
    if (want.adoptExisting === false)
        throw new ForeignRabbitmqError(foreignRabbitmqMessage(at.host, at.port, f.hostname, evidence));
    return { origin: "adopt", adopted: true, adoptedRunning: f.running };
}

/**
 * Of `candidates` (what burrow installed), the installed packages that can go without taking
 * anything else: a package some other installed package depends on (by name or a virtual name
 * it provides, any alternative counting) stays, and so does what it depends on, to a fixpoint.
 */
export function removablePackages(
    installed: InstalledPackage[],
    candidates: string[],
): { remove: string[]; keep: string[] } {
    const byName = new Map(installed.map((p) => [p.name, p]));
    const remove = new Set(candidates.filter((c) => byName.has(c)));
    for (let changed = true; changed;) {
        changed = false;
        for (const p of installed) {
            if (remove.has(p.name)) continue;
            for (const q of [...remove]) {
                const names = [q, ...byName.get(q)!.provides];
                if (p.depends.some((d) => names.includes(d))) {
                    remove.delete(q);
                    changed = true;
                }
            }
        }
    }
    const keep = candidates.filter((c) => byName.has(c) && !remove.has(c));
    return { remove: [...remove].sort(), keep: keep.sort() };
}

/** The packages a state written before markers existed stands for (burrow installed these two by name). */
export const LEGACY_PACKAGES = ["erlang-nox", "rabbitmq-server"];

export type RemovalPlan =
    /** Nothing of burrow's is on the host (already removed). */
    | { kind: "gone" }
    /** The host's RabbitMQ is not this resource's (marker of another install, or none); left as it is. */
    | { kind: "not-ours"; reason: string }
    /** A newer install on the same box (a replacement) owns it now: leave it, forget the old node name if it differs. */
    | { kind: "superseded"; currentNode: string }
    | {
          kind: "remove";
          /** Packages to remove; those another package needs are kept. */
          packages: string[];
          kept: string[];
          /** Purge packages and data (/var/lib/rabbitmq, /etc/rabbitmq); else remove packages and keep the data. */
          purge: boolean;
          /** Adopted and kept: put back the configuration burrow found, start the node if it ran. */
          restore: boolean;
          /** Kept data stays marked with the owner, so the next `up` of this stack finds it as its own. */
          keepMarker: boolean;
      };

/** What delete may remove. `installId` undefined: a state written before markers existed. */
export function planRemoval(
    f: HostFacts,
    own: { installId?: string; keepData: boolean; adoptExisting: AdoptPolicy },
): RemovalPlan {
    const m = f.marker;
    if (own.installId === undefined && !m) {
        const { remove, keep } = removablePackages(f.installed ?? [], LEGACY_PACKAGES);
        const purge = !own.keepData;
        return { kind: "remove", packages: remove, kept: keep, purge, restore: false, keepMarker: false };
    }
    if (!m)
        return f.rabbitmq?.installed
            ? {
                  kind: "not-ours",
                  reason: "/etc/burrow/owner is gone, so burrow cannot tell this RabbitMQ is its own",
              }
            : { kind: "gone" };
    if (m.install !== own.installId) return { kind: "superseded", currentNode: m.node };
    const purgeAdopted = own.adoptExisting === "purge";
    const candidates = [...f.packages, ...(m.adopted && purgeAdopted ? ["rabbitmq-server"] : [])];
    const { remove, keep } = removablePackages(f.installed ?? [], [...new Set(candidates)]);
    const restore = m.adopted && !purgeAdopted;
    const purge = !own.keepData && !restore;
    return { kind: "remove", packages: remove, kept: keep, purge, restore, keepMarker: !purge && !restore };
}
