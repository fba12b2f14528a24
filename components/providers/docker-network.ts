// Dynamic provider: a Docker network the stack creates for its cluster's nodes, so they
// find each other by name (node aliases) and nothing else is on it.
import * as pulumi from "@pulumi/pulumi";
import { claim, ownedForDelete } from "../../lib/docker-ownership";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { docker, dockerExists } from "../../lib/exec";

export interface DockerNetworkInputs {
    name: string;
    labels: Record<string, string>;
}

export const dockerNetworkProvider: pulumi.dynamic.ResourceProvider<DockerNetworkInputs, DockerNetworkInputs> =
    userFacingProvider({
        async create(inputs) {
            // This stack's network from an interrupted up is used again; another stack state's is refused.
            if (!(await claim("network", inputs.name, inputs.labels))) {
                await docker([
                    "network",
                    "create",
                    ...Object.entries(inputs.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
                    inputs.name,
                ]);
            }
            return { id: inputs.name, outs: inputs };
        },
        async diff(_id, olds, news) {
            const replaces = olds.name !== news.name ? ["name"] : [];
            return { changes: changedInputs(olds, news).length > 0, replaces };
        },
        async update(_id, _olds, news) {
            return { outs: news }; // docker cannot relabel a network; the labels in the state are what burrow checks
        },
        async read(id, props) {
            return (await dockerExists("network", id)) ? { id, props } : { id: "", props };
        },
        async delete(id, props) {
            // Gone already, or another stack state's: left alone.
            if (await ownedForDelete("network", id, props.labels)) await docker(["network", "rm", id]);
        },
    });

export class DockerNetwork extends DynamicResource {
    declare readonly name: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof DockerNetworkInputs]: pulumi.Input<DockerNetworkInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(providerIn(__filename, { dockerNetworkProvider }), "DockerNetwork", name, args, opts);
    }
}
