// The "__provider" text burrow stores instead of a serialized closure: it must load the
// real provider by package path from the compiled program, and by file elsewhere.
import * as path from "path";
import { describe, expect, it } from "vitest";
import { providerText } from "../../lib/dynamic-resource";
import { generatedSecretProvider } from "../../components/providers/generated-secret";

/** Loads the text as the dynamic-provider plugin does (a module whose handler() returns the provider). */
function load(text: string, requireFn: (spec: string) => unknown) {
    const mod = { exports: {} as { handler?: () => unknown } };
    new Function("exports", "require", "module", text)(mod.exports, requireFn, mod);
    return mod.exports.handler!();
}

describe("providerText", () => {
    const provider = generatedSecretProvider;

    it("names the compiled module by package path, so any checkout's node_modules resolves it", () => {
        const file = [
            "",
            "work",
            "clone-1",
            "node_modules",
            "burrow-program",
            "components",
            "providers",
            "generated-secret.js",
        ].join(path.sep);
        const text = providerText({ file, exportName: "generatedSecretProvider", provider });
        const asked: string[] = [];
        const loaded = load(text, (spec) => (asked.push(spec), { generatedSecretProvider: provider }));
        expect(asked).toEqual(["burrow-program/components/providers/generated-secret.js"]);
        expect(loaded).toBe(provider);
        expect(text).not.toContain("clone-1");
    });

    it("names the file itself outside node_modules", () => {
        const text = providerText({ file: __filename, exportName: "generatedSecretProvider", provider });
        const asked: string[] = [];
        load(text, (spec) => (asked.push(spec), { generatedSecretProvider: provider }));
        expect(asked).toEqual([__filename]);
    });

    it("refuses a provider whose errors would reach the CLI with stack frames (not userFacingProvider)", () => {
        const raw = { create: async () => ({ id: "x" }) };
        expect(() => providerText({ file: "/x.js", exportName: "rawProvider", provider: raw })).toThrow(
            "rawProvider in /x.js: export it as userFacingProvider({...}) so its errors reach the CLI as clean messages",
        );
    });

    it("refuses something that is not a provider, naming it", () => {
        expect(() => providerText({ file: "/x.js", exportName: "nope", provider: {} as never })).toThrow(
            "nope in /x.js is not a dynamic provider",
        );
    });
});
