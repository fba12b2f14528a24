// What a change of the broker's RabbitMQ version does, decided before anything is touched:
// nothing, an in-place upgrade (a point release of the same series), a blue-green upgrade (a
// newer series: a second broker takes over and the messages are moved to it), or a refusal
// (a downgrade; a new series on the SSH target). Pure functions: the Docker target's
// BrokerGeneration provider prints the plan at preview and refuses there; the SSH target's
// host provider refuses there too.
//
// RabbitMQ upgrades in place only within a series, or from the previous series with every
// feature flag enabled (4.3 needs 4.2's flags, 4.0 needs 3.13's). Debian's releases jump
// further than that (bookworm 3.10 -> trixie 4.0 -> forky 4.3), so burrow moves to any newer
// series blue-green, as RabbitMQ's "Blue-Green Deployment" guide describes, and upgrades in
// place only within a series. No version can read data written by a newer one.

export type UpgradeKind = "none" | "in place" | "blue-green" | "refused";

/** One side of the change: what runs now, or what the new program would run. */
export interface VersionSide {
    /** RabbitMQ's version, plain ("4.0.5") or as Debian's package version ("4.0.5-6+deb13u2"). */
    version: string;
    /** The Debian release it comes from (Docker target), when known. */
    release?: string;
    /** The base image it is built from (Docker target). */
    baseImage?: string;
    /** The version is what the release brings, not yet read from a built image. */
    assumed?: boolean;
}

export interface UpgradeInput {
    target: "docker" | "ssh";
    /** What runs now; undefined: nothing runs yet (a new broker). */
    from?: VersionSide;
    to: VersionSide;
}

export interface UpgradePlan {
    kind: UpgradeKind;
    /** RabbitMQ versions, plain ("3.10.8"). */
    from?: string;
    to: string;
    /** The config key whose change it is, with its namespace: `burrow:debianRelease`. */
    key?: string;
    /** What will happen (or why not), for the preview; "" when nothing happens. */
    message: string;
}

/** "1:4.0.5-6+deb13u2" -> [4, 0, 5]: the upstream version, without Debian's epoch and revision. */
export function parseRabbitmqVersion(v: string): [number, number, number] {
    const upstream = v
        .trim()
        .replace(/^\d+:/, "")
        .replace(/[-+~].*$/, "");
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(upstream);
    if (!m) throw new Error(`"${v}" is not a RabbitMQ version`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** "4.0.5" from any of its spellings. */
export const plainVersion = (v: string) => parseRabbitmqVersion(v).join(".");
/** The series: "4.0" for 4.0.5. */
export const seriesOf = (v: string) => parseRabbitmqVersion(v).slice(0, 2).join(".");

function compare(a: string, b: string): number {
    const x = parseRabbitmqVersion(a);
    const y = parseRabbitmqVersion(b);
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
}

/** The key a person changed: the release when it changed, else the base image; on SSH the version pin. */
function keyOf(i: UpgradeInput): { key: string; was: string; now: string } {
    const { from, to } = i;
    if (i.target === "ssh")
        return { key: "burrow:rabbitmqVersion", was: plainVersion(from!.version), now: plainVersion(to.version) };
    if (from?.release && to.release && from.release !== to.release)
        return { key: "burrow:debianRelease", was: from.release, now: to.release };
    if (from?.baseImage && to.baseImage && from.baseImage !== to.baseImage)
        return { key: "burrow:baseImage", was: from.baseImage, now: to.baseImage };
    // The same config, a newer package from the mirror: say which release brought it.
    return { key: to.release ? "burrow:debianRelease" : "burrow:baseImage", was: "", now: to.release ?? "" };
}

/** The one decision: what a version change does. */
export function planUpgrade(i: UpgradeInput): UpgradePlan {
    const to = plainVersion(i.to.version);
    if (!i.from) return { kind: "none", to, message: "" };
    const from = plainVersion(i.from.version);
    const { key, was, now } = keyOf(i);
    const change = was ? `${key} ${was} -> ${now}` : `${key} ${now}`;
    const assumed = i.to.assumed ? ` (what ${now || "it"} brings; read from the image once it is built)` : "";
    const versions = `RabbitMQ ${from} -> ${to}${assumed}`;
    const c = compare(to, from);
    if (c === 0) return { kind: "none", from, to, message: "" };
    if (c < 0) {
        const back = was ? `Set it back (npm run pulumi -- config set ${key} ${was})` : `Change ${key} back`;
        return {
            kind: "refused",
            from,
            to,
            key,
            message:
                `${change} is refused: it would start RabbitMQ ${to} on data written by RabbitMQ ${from}, and data ` +
                `written by a newer RabbitMQ cannot be read by an older one (RabbitMQ has no downgrade). Nothing was ` +
                `changed. ${back}; to run an older version, stand up a new stack with it and move the messages there.`,
        };
    }
    if (seriesOf(to) === seriesOf(from))
        return {
            kind: "in place",
            from,
            to,
            key,
            message:
                i.target === "ssh"
                    ? `${change}: ${versions} is a point release of the same series, upgraded in place by apt on each ` +
                      `host in turn (on SSH hosts without the Docker target's feature flag, alarm and drain steps: ` +
                      `run \`rabbitmqctl enable_feature_flag all\` first)`
                    : `${change}: ${versions} is a point release of the same series, upgraded in place: every stable ` +
                      `feature flag enabled and no alarms before a node stops, the node replaced on its data, ` +
                      `\`enable_feature_flag all\` after it is up; in a cluster one node at a time, each drained, ` +
                      `replaced and revived once the quorum queues keep a majority without it (quorum + 1 online).`,
        };
    if (i.target === "ssh")
        return {
            kind: "refused",
            from,
            to,
            key,
            message:
                `${change}: ${versions} is a new series, which RabbitMQ cannot upgrade in place from ${seriesOf(from)}; ` +
                `burrow moves a broker to a new series blue-green on the Docker target only. Nothing was changed. On SSH ` +
                `hosts: stand up a second stack on other hosts with ${key} ${now}, export the old broker's definitions ` +
                `(rabbitmqctl export_definitions) and import them there, move each queue's messages with shovels ` +
                `(rabbitmq_shovel, ack-mode on-confirm) while clients switch to the new hosts, then destroy this stack.`,
        };
    return {
        kind: "blue-green",
        from,
        to,
        key,
        message:
            `${change}: ${versions} is a new series, upgraded blue-green: a new broker (${to}) on new volumes boots with ` +
            `the old one's definitions (users with their password hashes, vhosts, permissions, policies, queues, ` +
            `exchanges, bindings) and takes over the published ports; the old broker restarts without them and every ` +
            `queue's messages are moved to the new one with shovels (ack-mode on-confirm); the old broker and its volumes ` +
            `are removed once its queues are empty. Clients reconnect to the same address.`,
    };
}

/** The Docker names' generation suffix of a broker running `version` after a blue-green move ("-v4.3"). */
export const generationOf = (version: string) => `-v${seriesOf(version)}`;
