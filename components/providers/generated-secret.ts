// Dynamic provider: a random secret made once and kept in the (encrypted) state, so a
// generated admin password or Erlang cookie stays the same across updates.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import * as crypto from "crypto";

export interface GeneratedSecretInputs {
    /** Bytes of randomness; the value is their base64url text. */
    bytes: number;
}

export const generatedSecretProvider: pulumi.dynamic.ResourceProvider<
    GeneratedSecretInputs,
    GeneratedSecretInputs & { value: string }
> = userFacingProvider({
    async create(inputs) {
        const value = crypto.randomBytes(inputs.bytes).toString("base64url");
        return { id: crypto.randomUUID(), outs: { ...inputs, value } };
    },
    async diff(_id, olds, news) {
        return { changes: olds.bytes !== news.bytes, replaces: olds.bytes !== news.bytes ? ["bytes"] : [] };
    },
});

export class GeneratedSecret extends DynamicResource {
    declare readonly value: pulumi.Output<string>;
    constructor(name: string, args: { bytes: number }, opts?: pulumi.CustomResourceOptions) {
        super(
            providerIn(__filename, { generatedSecretProvider }),
            "GeneratedSecret",
            name,
            { ...args, value: undefined },
            { ...opts, additionalSecretOutputs: ["value"] },
        );
    }
}
