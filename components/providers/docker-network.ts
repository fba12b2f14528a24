// Dynamic provider: a Docker network the stack creates for its cluster's nodes, so they
// find each other by name (node aliases) and nothing else is on it.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { docker, dockerExists } from "../../lib/exec";

export interface DockerNetworkInputs {
    name: string;
    labels: Record<string, string>;
}

export const dockerNetworkProvider: pulumi.dynamic.ResourceProvider<DockerNetworkInputs, DockerNetworkInputs> =
    userFacingProvider({
        async create(inputs) {
            if (!(await dockerExists("network", inputs.name))) {
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
            return { changes: replaces.length > 0, replaces };
        },
        async read(id, props) {
            return (await dockerExists("network", id)) ? { id, props } : { id: "", props };
        },
        async delete(id) {
            if (await dockerExists("network", id)) await docker(["network", "rm", id]);
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
