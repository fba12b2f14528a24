// Dynamic provider: runs the smoke test (lib/smoke.ts) on create and on every update,
// i.e. whenever the broker or its topology changed; a failure fails `pulumi up` with
// the step and queue named.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { ManagementApi, get } from "../../lib/management-client";
import { SmokeQueue, SmokeStep, runSmoke } from "../../lib/smoke";
import { unwrapSecrets } from "../../lib/secrets";
import { SshTarget } from "../../lib/ssh";
import { withTunnelTo } from "../../lib/ssh-tunnel";

export interface SmokeTestInputs {
    amqpUrl: string;
    /** PEM CA certificate when amqpUrl is amqps:// ("" otherwise). */
    ca: string;
    queues: SmokeQueue[];
    /** Anything whose change should run the test again (broker id, topology digest). */
    trigger: string;
    /** A cluster: consume through another node, and check every node is running and joined. */
    cluster: null | { consumeUrl: string; api: ManagementApi; nodes: string[] };
    /** Reach AMQP through an SSH tunnel to this port on the host's loopback. */
    tunnel: null | { ssh: SshTarget; port: number };
}

export interface SmokeTestOutputs extends SmokeTestInputs {
    ok: boolean;
    totalMs: number;
    steps: SmokeStep[];
    checkedAt: string;
}

async function check(inputs: SmokeTestInputs): Promise<SmokeTestOutputs> {
    if (inputs.cluster) {
        const listed =
            (await get<Array<{ name: string; running: boolean }>>(
                inputs.cluster.api,
                "/api/nodes?columns=name,running",
            )) ?? [];
        for (const n of inputs.cluster.nodes) {
            const found = listed.find((x) => x.name === n);
            if (!found)
                throw new Error(
                    `smoke test failed: node ${n} is not in the cluster (the cluster has ${listed.map((x) => x.name).join(", ") || "no nodes"})`,
                );
            if (!found.running) throw new Error(`smoke test failed: node ${n} is in the cluster but not running`);
        }
    }
    const tunnel = inputs.tunnel;
    const r = tunnel
        ? await withTunnelTo(tunnel.ssh, tunnel.port, inputs.amqpUrl, (url) =>
              runSmoke({ url, queues: inputs.queues, ca: inputs.ca || undefined }),
          )
        : await runSmoke({
              url: inputs.amqpUrl,
              consumeUrl: inputs.cluster?.consumeUrl,
              queues: inputs.queues,
              ca: inputs.ca || undefined,
          });
    if (!r.ok) throw new Error(r.error);
    return { ...inputs, ok: true, totalMs: r.totalMs, steps: r.steps, checkedAt: new Date().toISOString() };
}

export const smokeTestProvider: pulumi.dynamic.ResourceProvider<SmokeTestInputs, SmokeTestOutputs> = userFacingProvider(
    {
        async create(inputs) {
            return { id: `smoke-${Date.now()}`, outs: await check(inputs) };
        },
        async diff(_id, wrappedOlds, news) {
            const olds = unwrapSecrets(wrappedOlds);
            return { changes: changedInputs(olds, news).length > 0 };
        },
        async update(_id, _olds, news) {
            return { outs: await check(news) };
        },
    },
);

export class SmokeTest extends DynamicResource {
    declare readonly ok: pulumi.Output<boolean>;
    declare readonly totalMs: pulumi.Output<number>;
    declare readonly steps: pulumi.Output<SmokeStep[]>;
    declare readonly checkedAt: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof SmokeTestInputs]: pulumi.Input<SmokeTestInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { smokeTestProvider }),
            "SmokeTest",
            name,
            { ...args, ok: undefined, totalMs: undefined, steps: undefined, checkedAt: undefined },
            { ...opts, additionalSecretOutputs: ["amqpUrl", "cluster", "tunnel"] },
        );
    }
}
