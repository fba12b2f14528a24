// Dynamic provider: a named Docker volume for /var/lib/rabbitmq, so the broker's data
// outlives the container. `retainOnDelete` (burrow:keepData) keeps it on destroy.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { docker, dockerExists } from "../../lib/exec";

export interface DockerVolumeInputs {
    name: string;
    labels: Record<string, string>;
}

export const dockerVolumeProvider: pulumi.dynamic.ResourceProvider<DockerVolumeInputs, DockerVolumeInputs> =
    userFacingProvider({
        async create(inputs) {
            const labels = Object.entries(inputs.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
            // `volume create` of an existing name is a no-op, so kept data is picked up again.
            await docker(["volume", "create", ...labels, inputs.name]);
            return { id: inputs.name, outs: inputs };
        },
        async diff(_id, olds, news) {
            const replaces = olds.name !== news.name ? ["name"] : [];
            return {
                changes: changedInputs(olds, news).length > 0,
                replaces,
                deleteBeforeReplace: false,
            };
        },
        async update(_id, _olds, news) {
            return { outs: news }; // labels are informational; docker cannot relabel a volume
        },
        async read(id, props) {
            return (await dockerExists("volume", id)) ? { id, props } : { id: "", props };
        },
        async delete(id) {
            await docker(["volume", "rm", "--force", id]);
        },
    });

export class DockerVolume extends DynamicResource {
    declare readonly name: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof DockerVolumeInputs]: pulumi.Input<DockerVolumeInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(providerIn(__filename, { dockerVolumeProvider }), "DockerVolume", name, args, opts);
    }
}
