// The names and labels of a broker's Docker objects, all derived here from one prefix
// (default `burrow-<stack>`): container `<prefix>` (cluster node i: `<prefix>-<i>`), its
// volume `<container>-data`, the cluster's network `<prefix>`, the image tag
// `burrow/rabbitmq:<prefix without burrow->`.
import { OWNER_LABEL } from "../lib/ownership";

export interface DockerNames {
    readonly prefix: string;
    /**
     * Labels on every object: `burrow.stack` (how tests and cleanup find a stack's objects) and
     * `burrow.owner`, the stack state's owner id (lib/ownership.ts): an object with another
     * owner is never adopted or removed.
     */
    readonly labels: Readonly<Record<string, string>>;
    /** The container of the single node, or of cluster node `index` (1-based). */
    container(index?: number): string;
    /** The data volume of that container. */
    volume(index?: number): string;
    readonly network: string;
    readonly imageTag: string;
}

export function dockerNames(prefix: string, stack: string, owner: string): DockerNames {
    const container = (index?: number) => (index === undefined ? prefix : `${prefix}-${index}`);
    return {
        prefix,
        labels: { "burrow.stack": stack, [OWNER_LABEL]: owner },
        container,
        volume: (index?: number) => `${container(index)}-data`,
        network: prefix,
        imageTag: `burrow/rabbitmq:${prefix.replace(/^burrow-/, "")}`,
    };
}

/** The default prefix: `burrow-<stack>`. */
export const defaultDockerPrefix = (stack: string) => `burrow-${stack}`;
