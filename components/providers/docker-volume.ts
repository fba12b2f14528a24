// Dynamic provider: a named Docker volume for /var/lib/rabbitmq, so the broker's data
// outlives the container. `retainOnDelete` (burrow:keepData) keeps it on destroy.
//
// A cluster node's volume is where leaving the cluster happens: a volume is deleted only
// when its node goes away for good (a scale-down, or a destroy without keepData), never
// when the container is replaced (the new container boots from the same volume and must
// still be a member). So its delete asks node 1 to forget the node, when node 1 still
// runs: on a whole-stack destroy node 1's container is deleted first (it depends on the
// other nodes' volumes, components/broker-cluster.ts) and nothing is forgotten. With
// keepData (retainOnDelete) the delete never runs: a removed node stays a stopped member
// with its data, and scaling out again brings it back. retainOnDelete is the last up's; a
// config set to keep the data since then is read here too (lib/keep-data.ts), so a plain
// `pulumi destroy` right after `config set burrow:keepData true` keeps the volume.
import * as pulumi from "@pulumi/pulumi";
import { STACK_LABEL, claim, ownedForDelete } from "../../lib/docker-ownership";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { engineWarn } from "../../lib/engine-log";
import { docker } from "../../lib/exec";
import { deleteKeepsData } from "../../lib/keep-data";

export interface DockerVolumeInputs {
    name: string;
    labels: Record<string, string>;
    /**
     * Cluster node 2..N: the node whose data this is, and node 1's container, which forgets
     * the node when this volume is deleted. null: a single node, or cluster node 1.
     */
    clusterNode?: null | { nodeName: string; forgetVia: string };
}

/** Whether a container exists and runs. */
async function running(container: string): Promise<boolean> {
    return docker(["container", "inspect", "--format", "{{.State.Running}}", container]).then(
        (r) => r.stdout.trim() === "true",
        () => false,
    );
}

/** The cluster's members as node 1 sees them (`rabbitmqctl cluster_status`). */
async function clusterMembers(via: string): Promise<{ members: string[]; running: string[] }> {
    const r = await docker(["exec", via, "rabbitmqctl", "--quiet", "cluster_status", "--formatter", "json"], {
        timeoutMs: 60_000,
    });
    const s = JSON.parse(r.stdout) as { disk_nodes?: string[]; ram_nodes?: string[]; running_nodes?: string[] };
    return { members: [...(s.disk_nodes ?? []), ...(s.ram_nodes ?? [])], running: s.running_nodes ?? [] };
}

/** Node 1 forgets a node that left for good; nothing to do when node 1 is gone too (a whole-stack destroy). */
export async function forgetNode(
    node: { nodeName: string; forgetVia: string },
    labels: Record<string, string>,
): Promise<"forgotten" | "not a member" | "no node to ask"> {
    const via = node.forgetVia;
    if (!(await running(via)) || !(await ownedForDelete("container", via, labels))) return "no node to ask";
    const { members, running: up } = await clusterMembers(via);
    if (!members.includes(node.nodeName)) return "not a member";
    // Its container was deleted before its volume; a node still running is someone else's doing.
    if (up.includes(node.nodeName))
        throw new Error(
            `cluster node ${node.nodeName} still runs although its container is gone; stop it, then run the command again`,
        );
    await docker(["exec", via, "rabbitmqctl", "forget_cluster_node", node.nodeName], { timeoutMs: 120_000 });
    return "forgotten";
}

export const dockerVolumeProvider: pulumi.dynamic.ResourceProvider<DockerVolumeInputs, DockerVolumeInputs> =
    userFacingProvider({
        async create(inputs) {
            // A volume this stack made before (kept data, or an earlier burrow's) is picked up
            // again; another stack state's is refused, never adopted.
            if (!(await claim("volume", inputs.name, inputs.labels))) {
                const labels = Object.entries(inputs.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
                await docker(["volume", "create", ...labels, inputs.name]);
            }
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
            return { outs: news }; // docker cannot relabel a volume; the labels in the state are what burrow checks
        },
        async read(id, props) {
            return (await docker(["volume", "inspect", id]).then(
                () => true,
                () => false,
            ))
                ? { id, props }
                : { id: "", props };
        },
        async delete(id, props) {
            // Gone already, or another stack state's: left alone.
            if (!(await ownedForDelete("volume", id, props.labels))) return;
            const kept = deleteKeepsData(false, props.labels[STACK_LABEL]);
            if (kept.keep) {
                await engineWarn(
                    `kept volume ${id} with the node's data: ${kept.byConfig} (the last up recorded keepData false, so the preview listed it as deleted)`,
                );
                return;
            }
            if (props.clusterNode) await forgetNode(props.clusterNode, props.labels);
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
