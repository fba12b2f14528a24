// Dynamic provider: refuses a version change RabbitMQ cannot do (a downgrade) before anything
// is touched, the broker image included: the image resource depends on it, so a refused
// `up` fails before a new image is even built, and a refused preview fails naming the key.
// It compares what runs now (found from the containers themselves, broker-generation.ts
// runningNow) with what the new program would run. It holds only the config last allowed.
// BrokerGeneration, after the image, says what an allowed change will do and does it.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { planUpgrade } from "../../lib/upgrade-plan";
import { runningNow, target } from "./broker-generation";

export interface VersionGuardInputs {
    prefix: string;
    labels: Record<string, string>;
    release: string;
    baseImage: string;
    /** What the release brings (settings' release table). */
    expectedVersion: string;
    /** The broker image's content tag: if it was built before, its exact version. */
    imageCacheTag: string;
}

/** Throws the refusal when the change is one; `was`: the config as the state last saw it. */
async function check(news: VersionGuardInputs, was?: Partial<VersionGuardInputs>): Promise<void> {
    const now = await runningNow(news.prefix, news.labels);
    if (!now) return;
    const plan = planUpgrade({
        target: "docker",
        from: { version: now.version, release: was?.release, baseImage: was?.baseImage },
        to: await target({ ...news, rabbitmqVersion: "" }),
    });
    if (plan.kind === "refused") throw new Error(plan.message);
}

export const versionGuardProvider: pulumi.dynamic.ResourceProvider<VersionGuardInputs, VersionGuardInputs> =
    userFacingProvider({
        async create(inputs) {
            await check(inputs);
            return { id: "version-guard", outs: inputs };
        },
        async diff(_id, olds, news) {
            await check(news, olds);
            // The config an allowed change moved to is stored: it is what a later refusal says to go back to.
            return { changes: olds.release !== news.release || olds.baseImage !== news.baseImage, replaces: [] };
        },
        async update(_id, _olds, news) {
            return { outs: news };
        },
        async read(id, props) {
            return { id, props };
        },
        async delete() {},
    });

export class VersionGuard extends DynamicResource {
    constructor(
        name: string,
        args: { [K in keyof VersionGuardInputs]: pulumi.Input<VersionGuardInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(providerIn(__filename, { versionGuardProvider }), "VersionGuard", name, args, opts);
    }
}
