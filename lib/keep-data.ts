// What `destroy` does with the broker's data is decided by the stack's state, written by the
// last `up`, not by the config: `pulumi destroy` does not run the program. An operator who
// sets `burrow:keepData true` and destroys at once would lose the data the config says to
// keep. `npm run destroy` (scripts/destroy) reads both first and refuses that destroy, naming
// what would go and what to do; the other way round (config false, state true) it only says
// that the data stays.

/** A resource as `pulumi stack export` writes it (the parts read here). */
interface ExportedResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    retainOnDelete?: boolean;
}

/** Where a stack's data lives and whether the state keeps it on destroy. */
export interface DataHolder {
    /** The data volume of a Docker node, or the RabbitMQ install on an SSH host. */
    what: string;
    kept: boolean;
}

/** The stack's data holders, from its exported state: Docker volumes (retainOnDelete) and SSH installs (keepData). */
export function dataHolders(exported: unknown): DataHolder[] {
    const resources =
        (exported as { deployment?: { resources?: ExportedResource[] } } | undefined)?.deployment?.resources ?? [];
    const holders: DataHolder[] = [];
    for (const r of resources) {
        if (/[/:]burrow:DockerVolume$/.test(r.type)) {
            const name = typeof r.inputs?.name === "string" ? r.inputs.name : r.urn.split("::").pop();
            holders.push({ what: `volume ${name}`, kept: r.retainOnDelete === true });
        } else if (/[/:]burrow:RemoteRabbitmq$/.test(r.type)) {
            holders.push({
                what: `/var/lib/rabbitmq on ${r.urn.split("::").pop()}`,
                kept: r.inputs?.keepData === true,
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

/** Refuses a destroy that would delete data the config says to keep; warns when the state keeps data the config would not. */
export function keepDataCheck(keep: boolean, holders: DataHolder[]): { refuse?: string; warn?: string } {
    const deleted = holders.filter((h) => !h.kept);
    const kept = holders.filter((h) => h.kept);
    if (keep && deleted.length > 0)
        return {
            refuse:
                `burrow:keepData is true, but the stack was last brought up with keepData false, and destroy does what the ` +
                `stack's state says: it would delete ${deleted.map((h) => h.what).join(", ")} with every queue and message. ` +
                "Nothing was destroyed. Run `npm run up` first (it records keepData without restarting the broker), then `npm run destroy`.",
        };
    if (!keep && kept.length > 0)
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
        if (r.warn) console.error(`burrow: ${r.warn}`);
        if (r.refuse) {
            console.error(`burrow: ${r.refuse}`);
            process.exit(3);
        }
    });
}
