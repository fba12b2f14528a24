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

/** The config's burrow:keepData as `pulumi config get` prints it ("" when unset: the default, false). */
export function configKeepData(printed: string): boolean {
    const v = printed.trim();
    return v === "" ? false : JSON.parse(v) === true;
}

/**
 * burrow:keepData as the stack's config file says now: Pulumi.<stack>.yaml in `dir`, the project
 * directory (where Pulumi runs the program and the dynamic-provider plugin). undefined when
 * the file or the key is not there, or the file cannot be read.
 */
export function keepDataInStackConfig(stack: string, dir: string = process.cwd()): boolean | undefined {
    if (!/^[\w.-]+$/.test(stack)) return undefined;
    for (const ext of ["yaml", "yml"]) {
        let text: string;
        try {
            text = fs.readFileSync(path.join(dir, `Pulumi.${stack}.${ext}`), "utf8");
        } catch {
            continue;
        }
        try {
            const v = (yaml.load(text) as { config?: Record<string, unknown> } | null)?.config?.["burrow:keepData"];
            return v === true || v === "true" ? true : v === false || v === "false" ? false : undefined;
        } catch {
            return undefined;
        }
    }
    return undefined;
}

/**
 * Whether a delete keeps a node's data: when the state (the last up's keepData) says so, or
 * when the stack's config says so now. `byConfig`: kept only because of the config, which the
 * preview could not know (it listed the data as deleted). `stack` undefined: a state written
 * before burrow recorded it, decided by the state alone.
 */
export function deleteKeepsData(
    stateKeeps: boolean,
    stack: string | undefined,
    dir?: string,
): { keep: boolean; byConfig: boolean } {
    if (stateKeeps) return { keep: true, byConfig: false };
    const byConfig = stack !== undefined && keepDataInStackConfig(stack, dir) === true;
    return { keep: byConfig, byConfig };
}

/**
 * What a destroy does with the data when the config and the state disagree (scripts/destroy
 * says it before it starts). With the config's keepData true, each holder is kept by the
 * state or by its delete reading the config (deleteKeepsData, from `dir`); one that neither
 * keeps (a state written before burrow recorded its stack) would be deleted: refused.
 */
export function keepDataCheck(
    keep: boolean,
    holders: DataHolder[],
    dir?: string,
): { refuse?: string; note?: string; warn?: string } {
    if (keep) {
        const deleted = holders.filter((h) => !deleteKeepsData(h.kept, h.stack, dir).keep);
        if (deleted.length > 0)
            return {
                refuse:
                    `burrow:keepData is true, but the stack was last brought up with keepData false, and destroy does what the ` +
                    `stack's state says: it would delete ${deleted.map((h) => h.what).join(", ")} with every queue and message. ` +
                    "Nothing was destroyed. Run `npm run up` first (it records keepData without restarting the broker), then `npm run destroy`.",
            };
        const byConfig = holders.filter((h) => !h.kept);
        if (byConfig.length > 0)
            return {
                note:
                    `burrow:keepData is true, and the stack was last brought up with keepData false: destroy keeps ` +
                    `${byConfig.map((h) => h.what).join(", ")} all the same (it reads the config when it deletes), ` +
                    "although the preview lists them as deleted.",
            };
        return {};
    }
    const kept = holders.filter((h) => h.kept);
    if (kept.length > 0)
        return {
            warn:
                `burrow:keepData is false, but the stack was last brought up with keepData true: this destroy keeps ` +
                `${kept.map((h) => h.what).join(", ")}. To delete the data too, run \`npm run up\` first, then \`npm run destroy\`.`,
        };
    return {};
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
