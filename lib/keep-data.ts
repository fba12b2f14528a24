// What `destroy` does with the broker's data is decided by the stack's state, written by the
// last `up`, not by the config: `pulumi destroy` does not run the program. An operator who
// sets `burrow:keepData true` and destroys at once would lose the data the config says to
// keep. So the deletes that would lose data (a node's Docker volume, an SSH host's install)
// also read the stack's config file as it is now (`deleteKeepsData`) and keep the data when
// either says so: a plain `pulumi destroy` keeps it too. Only ever towards keeping: a config
// that says false never deletes what the state keeps. `npm run destroy` (scripts/destroy)
// reads both first and says which data stays, and why, since the preview lists it as deleted.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseScalar } from "../components/settings/values";
import { STACK_LABEL } from "./docker-ownership";

/** A resource as `pulumi stack export` writes it (the parts read here). */
interface ExportedResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    /** What a dynamic provider's delete is given. */
    outputs?: Record<string, unknown>;
    retainOnDelete?: boolean;
}

/** Where a stack's data lives and whether the state keeps it on destroy. */
export interface DataHolder {
    /** The data volume of a Docker node, or the RabbitMQ install on an SSH host. */
    what: string;
    kept: boolean;
    /** The stack whose config its delete reads (deleteKeepsData); undefined in a state written before burrow recorded it. */
    stack?: string;
}

/** The stack's data holders, from its exported state: Docker volumes (retainOnDelete) and SSH installs (keepData). */
export function dataHolders(exported: unknown): DataHolder[] {
    const resources =
        (exported as { deployment?: { resources?: ExportedResource[] } } | undefined)?.deployment?.resources ?? [];
    const holders: DataHolder[] = [];
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    for (const r of resources) {
        if (/[/:]burrow:DockerVolume$/.test(r.type)) {
            const name = text(r.inputs?.name) ?? r.urn.split("::").pop();
            const labels = r.outputs?.labels as Record<string, unknown> | undefined;
            holders.push({
                what: `volume ${name}`,
                kept: r.retainOnDelete === true,
                stack: text(labels?.[STACK_LABEL]),
            });
        } else if (/[/:]burrow:RemoteRabbitmq$/.test(r.type)) {
            holders.push({
                what: `/var/lib/rabbitmq on ${r.urn.split("::").pop()}`,
                kept: r.inputs?.keepData === true,
                stack: text(r.outputs?.stack),
            });
        }
    }
    return holders;
}

/** The config's burrow:keepData as `pulumi config get` prints it ("" when unset: the default, false); anything but a plain false keeps. */
export function configKeepData(printed: string): boolean {
    return printed.trim() === "" ? false : parseScalar(printed) !== false;
}

/**
 * burrow:keepData as the stack's config file says now: Pulumi.<stack>.yaml in `dir`, the project
 * directory (where Pulumi runs the program and the dynamic-provider plugin). undefined when
 * the file or the key is not there, or the file cannot be read; "unclear" when the key is
 * there but is not a plain true or false as the program reads it (parseScalar): a secret
 * (encrypted in the file), or a value the program would refuse, such as "True". Whoever
 * set it meant something; a delete keeps the data rather than guess.
 */
export function keepDataInStackConfig(stack: string, dir: string = process.cwd()): boolean | "unclear" | undefined {
    if (!/^[\w.-]+$/.test(stack)) return undefined;
    for (const ext of ["yaml", "yml"]) {
        let text: string;
        try {
            text = fs.readFileSync(path.join(dir, `Pulumi.${stack}.${ext}`), "utf8");
        } catch {
            continue;
        }
        let config: Record<string, unknown> | undefined;
        try {
            config = (yaml.load(text) as { config?: Record<string, unknown> } | null)?.config;
        } catch {
            return undefined;
        }
        if (!config || !("burrow:keepData" in config)) return undefined;
        const v = parseScalar(config["burrow:keepData"]);
        return typeof v === "boolean" ? v : "unclear";
    }
    return undefined;
}

/**
 * Whether a delete keeps a node's data: when the state (the last up's keepData) says so, or
 * when the stack's config says so now, or says something unclear (keepDataInStackConfig).
 * `byConfig`: kept only because of the config, which the preview could not know (it listed
 * the data as deleted), with the reason to say. `stack` undefined: a state written before
 * burrow recorded it, decided by the state alone.
 */
export function deleteKeepsData(
    stateKeeps: boolean,
    stack: string | undefined,
    dir?: string,
): { keep: boolean; byConfig?: string } {
    if (stateKeeps) return { keep: true };
    const c = stack === undefined ? undefined : keepDataInStackConfig(stack, dir);
    if (c === true) return { keep: true, byConfig: "burrow:keepData is true in the stack's config" };
    if (c === "unclear")
        return {
            keep: true,
            byConfig:
                "burrow:keepData is set in the stack's config, but not to a plain true or false (a secret, or a value such as True), so it was kept rather than guessed; if the data should go, delete it by hand",
        };
    return { keep: false };
}

/**
 * What a destroy will do with the data, said before it starts (scripts/destroy). `keep` is
 * the config as `pulumi config get` prints it (secrets decrypted); each holder's delete keeps
 * its data by the state or by reading the config file (deleteKeepsData, from `dir`). With
 * keep true, a holder whose delete would still delete (a state written before burrow
 * recorded its stack) is refused.
 */
export function keepDataCheck(
    keep: boolean,
    holders: DataHolder[],
    dir?: string,
): { refuse?: string; note?: string; warn?: string } {
    const outcome = holders.map((h) => ({ h, ...deleteKeepsData(h.kept, h.stack, dir) }));
    const deleted = outcome.filter((o) => !o.keep).map((o) => o.h.what);
    if (keep && deleted.length > 0)
        return {
            refuse:
                `burrow:keepData is true, but the stack was last brought up with keepData false, and destroy does what the ` +
                `stack's state says: it would delete ${deleted.join(", ")} with every queue and message. ` +
                "Nothing was destroyed. Run `npm run up` first (it records keepData without restarting the broker), then `npm run destroy`.",
        };
    const r: { note?: string; warn?: string } = {};
    const byConfig = outcome.filter((o) => o.byConfig);
    if (byConfig.length > 0)
        r.note =
            `the stack was last brought up with keepData false, but destroy keeps ${byConfig.map((o) => o.h.what).join(", ")} ` +
            `all the same (it reads the config when it deletes: ${byConfig[0].byConfig}), although the preview lists them as deleted.`;
    const kept = holders.filter((h) => h.kept);
    if (!keep && kept.length > 0)
        r.warn =
            `burrow:keepData is false, but the stack was last brought up with keepData true: this destroy keeps ` +
            `${kept.map((h) => h.what).join(", ")}. To delete the data too, run \`npm run up\` first, then \`npm run destroy\`.`;
    return r;
}

if (require.main === module) {
    // scripts/destroy: `keep-data.js <printed config value>`, the exported state on stdin.
    const chunks: Buffer[] = [];
    process.stdin.on("data", (c: Buffer) => chunks.push(c));
    process.stdin.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8").trim();
        const r = keepDataCheck(configKeepData(process.argv[2] ?? ""), dataHolders(text ? JSON.parse(text) : {}));
        for (const line of [r.warn, r.note, r.refuse]) if (line) console.error(`burrow: ${line}`);
        if (r.refuse) process.exit(3);
    });
}
