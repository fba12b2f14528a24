// burrow's dynamic resources, with their provider named instead of serialized.
//
// A Pulumi dynamic resource stores its provider in the "__provider" input as the text of a
// module whose `handler()` returns the provider; the dynamic-provider plugin loads that
// text. pulumi.dynamic.Resource makes the text by serializing the provider's closure
// (walking every function and module it reaches with the V8 inspector and the TypeScript
// parser): ~1.9 s of every `pulumi up` for burrow's providers, and any edit to a provider
// changed the stored text of every resource. Here the text is one line that requires the
// provider's compiled module by package path: the program is compiled to
// node_modules/burrow-program (scripts/build-program) and the plugin runs from the project
// root, so `require("burrow-program/components/providers/x.js")` finds it from any checkout.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { cleanMessage } from "./errors";

/** A provider and where it is exported: the file (its `__filename`) and the export's name. */
export interface ProviderRef {
    file: string;
    exportName: string;
    provider: pulumi.dynamic.ResourceProvider;
}

/** The provider a module exports, named by the export: `providerIn(__filename, { dockerImageProvider })`. */
export function providerIn(file: string, named: Record<string, pulumi.dynamic.ResourceProvider>): ProviderRef {
    const entries = Object.entries(named);
    if (entries.length !== 1) throw new Error(`providerIn: name exactly one provider (got ${entries.length})`);
    return { file, exportName: entries[0][0], provider: entries[0][1] };
}

/**
 * The inputs that differ between the state and the program, by value. Pulumi's own
 * "__provider" is not an input: a new burrow version changes it and must not look like a
 * change to the resource. `ignore` names inputs that are "how", not "what".
 */
export function changedInputs<T extends object>(olds: T, news: T, ignore: string[] = []): Array<keyof T & string> {
    return (Object.keys(news) as Array<keyof T & string>).filter(
        // `?? null`: an input absent from an older state and one set to null are the same.
        (k) =>
            !k.startsWith("__") &&
            !ignore.includes(k) &&
            JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
    );
}

// ---- Errors a provider reports ------------------------------------------------------------
// The engine shows a provider's error as the resource's diagnostic: that is the one place a
// user should read it. But @pulumi/pulumi's dynamic-provider host also prints
// `${e}: ${e.stack}` to its stderr for an error in check/diff/read/delete, which the CLI
// shows again under the stack, with Node's stack frames. userFacingProvider() makes every
// error leave a provider as one clean message (no stack frames, no ANSI codes) and keeps that
// duplicate off stderr.

const USER_FACING = Symbol.for("burrow.userFacingProvider");
/** The exact lines the host is about to print for errors already reported through the engine. */
const reported = new Set<string>();
let stderrFiltered = false;

/** A console.error that drops the lines of errors already reported through the engine (each once). */
export function withoutReported(print: (...args: unknown[]) => void): (...args: unknown[]) => void {
    return (...args: unknown[]) => {
        if (args.length === 1 && typeof args[0] === "string" && reported.delete(args[0])) return;
        print(...args);
    };
}

function filterReportedFromStderr(): void {
    if (stderrFiltered) return;
    stderrFiltered = true;
    console.error = withoutReported(console.error.bind(console));
}

/** The error a provider hands to the engine: its message cleaned, no stack frames, the original as `cause`. */
export function userFacingError(e: unknown): Error {
    const message = cleanMessage(e instanceof Error ? e.message : String(e));
    const err = new Error(message, { cause: e });
    err.stack = `Error: ${message}`;
    // Kept for the engine: an error that carries a created resource's id (ErrorResourceInitFailed).
    for (const k of ["id", "properties", "reasons"]) {
        if (e && typeof e === "object" && k in e)
            (err as unknown as Record<string, unknown>)[k] = (e as Record<string, unknown>)[k];
    }
    reported.add(`${err}: ${err.stack}`);
    return err;
}

type Provider = pulumi.dynamic.ResourceProvider;
const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/** The provider with every method's errors made user-facing (userFacingError). */
export function userFacingProvider<P extends Provider>(provider: P): P {
    filterReportedFromStderr();
    const wrapped: Record<string | symbol, unknown> = { [USER_FACING]: true };
    for (const m of METHODS) {
        const fn = provider[m] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        if (!fn) continue;
        wrapped[m] = async (...a: unknown[]) => {
            try {
                return await fn.apply(provider, a);
            } catch (e) {
                throw userFacingError(e);
            }
        };
    }
    return wrapped as P;
}

/** What a dynamic provider's diff gets for an input not known yet (at preview: an output of a resource still to change). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (v: unknown): boolean => v === UNKNOWN;

/** The "__provider" text for a provider: `exports.handler = () => require(<module>)[<export>]`. */
export function providerText(ref: ProviderRef): string {
    if (typeof ref.provider?.create !== "function")
        throw new Error(`${ref.exportName} in ${ref.file} is not a dynamic provider`);
    if (!(ref.provider as unknown as Record<symbol, unknown>)[USER_FACING])
        throw new Error(
            `${ref.exportName} in ${ref.file}: export it as userFacingProvider({...}) so its errors reach the CLI as clean messages`,
        );
    // Under node_modules: the package path, resolvable from the project root of any checkout.
    // Elsewhere (tests importing the TypeScript directly): the absolute file.
    const parts = ref.file.split(path.sep);
    const at = parts.lastIndexOf("node_modules");
    const spec = at >= 0 ? parts.slice(at + 1).join("/") : ref.file;
    return `exports.handler = function () { return require(${JSON.stringify(spec)})[${JSON.stringify(ref.exportName)}]; };\n`;
}

/** A dynamic resource of type `pulumi-nodejs:dynamic/burrow:<type>`, as pulumi.dynamic.Resource makes, without the closure serialization. */
export class DynamicResource extends pulumi.CustomResource {
    constructor(
        provider: ProviderRef,
        type: string,
        name: string,
        props: pulumi.Inputs,
        opts?: pulumi.CustomResourceOptions,
    ) {
        if ("__provider" in props) throw new Error("a dynamic resource must not define the __provider key");
        super(`pulumi-nodejs:dynamic/burrow:${type}`, name, { ...props, __provider: providerText(provider) }, opts);
    }
}
