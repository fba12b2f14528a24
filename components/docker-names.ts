// The names and labels of a broker's Docker objects, all derived here from one prefix
// (default `burrow-<stack>`) and the broker's generation: container `<prefix><generation>`
// (cluster node i: `<prefix><generation>-<i>`), its volume `<container>-data`, the cluster's
// network `<prefix><generation>`, the image tag `burrow/rabbitmq:<prefix without burrow->`.
//
// The generation is "" for a broker as first made, and `-v<series>` (e.g. `-v4.3`) once a
// blue-green upgrade moved it to a new RabbitMQ series: the new broker's objects must exist
// beside the old one's until its messages are moved (components/providers/broker-generation.ts).
import * as pulumi from "@pulumi/pulumi";
import { OWNER_LABEL } from "../lib/ownership";

/** The fixed node name of a single node: data in the volume belongs to it, so it must not change when the container does. */
export const NODE_HOSTNAME = "burrow";
/** Cluster node i's hostname and network alias (the same in every generation: each has its own network). */
export const clusterHostname = (index: number) => `rabbit-${index}`;

/** The names of one generation's objects, as plain strings (what providers work with). */
export interface GenerationNames {
    /** The container of the single node, or of cluster node `index` (1-based). */
    container(index?: number): string;
    /** The data volume of that container. */
    volume(index?: number): string;
    readonly network: string;
}

export function generationNames(prefix: string, generation: string): GenerationNames {
    const base = `${prefix}${generation}`;
    const container = (index?: number) => (index === undefined ? base : `${base}-${index}`);
    return { container, volume: (index?: number) => `${container(index)}-data`, network: base };
}

export interface DockerNames {
    readonly prefix: string;
    /**
     * Labels on every object: `burrow.stack` (how tests and cleanup find a stack's objects) and
     * `burrow.owner`, the stack state's owner id (lib/ownership.ts): an object with another
     * owner is never adopted or removed.
     */
    readonly labels: Readonly<Record<string, string>>;
    /** The container of the single node, or of cluster node `index` (1-based), of the current generation. */
    container(index?: number): pulumi.Output<string>;
    /** The data volume of that container. */
    volume(index?: number): pulumi.Output<string>;
    readonly network: pulumi.Output<string>;
    /** The stack's image tag: one per stack, whatever the generation. */
    readonly imageTag: string;
    /** The current generation ("" or `-v<series>`). */
    readonly generation: pulumi.Output<string>;
}

/** The same names for another generation. */
export function withGeneration(names: DockerNames, generation: pulumi.Input<string>): DockerNames {
    return dockerNames(names.prefix, names.labels["burrow.stack"], names.labels[OWNER_LABEL], generation);
}

export function dockerNames(
    prefix: string,
    stack: string,
    owner: string,
    generation: pulumi.Input<string> = "",
): DockerNames {
    const gen = pulumi.output(generation);
    const names = gen.apply((g) => generationNames(prefix, g));
    return {
        prefix,
        labels: { "burrow.stack": stack, [OWNER_LABEL]: owner },
        container: (index?: number) => names.apply((n) => n.container(index)),
        volume: (index?: number) => names.apply((n) => n.volume(index)),
        network: names.apply((n) => n.network),
        imageTag: `burrow/rabbitmq:${prefix.replace(/^burrow-/, "")}`,
        generation: gen,
    };
}

/** The default prefix: `burrow-<stack>`. */
export const defaultDockerPrefix = (stack: string) => `burrow-${stack}`;
