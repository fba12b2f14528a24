// Dynamic provider: builds the broker image with the Docker engine's classic builder,
// FROM a local base image, never asking a registry.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerExists } from "../../lib/exec";
import { OWNER_LABEL } from "../../lib/ownership";
import { baseImageMissingMessage, imageBuildFailedMessage } from "../../lib/errors";

export interface DockerImageInputs {
    /** The stack's own tag, removed on destroy. */
    tag: string;
    /** Local image the Dockerfile builds FROM. */
    baseImage: string;
    dockerfile: string;
    /** Extra files of the build context: name -> content. */
    files: Record<string, string>;
    /**
     * The stack's container that runs from the tag, and the stack state's owner id: while a
     * container of that name belongs to another owner (another checkout with the same stack
     * name), destroy leaves the tag to it. Not a reason to rebuild.
     */
    heldBy?: { container: string; owner: string };
}

export interface DockerImageOutputs extends DockerImageInputs {
    imageId: string;
    /** Content tag kept as the build cache for other stacks (not the stack's). */
    cacheTag: string;
    rabbitmqVersion: string;
    erlangVersion: string;
}

/** The content tag an image built from these inputs has (and any stack reuses): known before it is built. */
export function cacheTagOf(inputs: Pick<DockerImageInputs, "baseImage" | "dockerfile" | "files">): string {
    const hash = crypto
        .createHash("sha256")
        // Files in name order: the engine hands a provider its inputs' maps with their keys
        // sorted, so the program (which names the tag at preview) and the provider must agree.
        .update(JSON.stringify([inputs.baseImage, inputs.dockerfile, Object.entries(inputs.files).sort()]))
        .digest("hex");
    return `burrow/rabbitmq-cache:${hash.slice(0, 16)}`;
}

async function build(inputs: DockerImageInputs): Promise<DockerImageOutputs> {
    if (!(await dockerExists("image", inputs.baseImage))) {
        throw new Error(baseImageMissingMessage(inputs.baseImage));
    }
    const cacheTag = cacheTagOf(inputs);
    // Built before (by any stack) from the same Dockerfile: tag it, read the versions from its labels.
    const cached = await cachedImage(cacheTag);
    if (cached) {
        await docker(["tag", cacheTag, inputs.tag]);
        return {
            ...inputs,
            imageId: cached.id,
            cacheTag,
            rabbitmqVersion: cached.rabbitmq,
            erlangVersion: cached.erlang,
        };
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-image-"));
    try {
        fs.writeFileSync(path.join(dir, "Dockerfile"), inputs.dockerfile);
        for (const [name, content] of Object.entries(inputs.files)) {
            fs.writeFileSync(path.join(dir, name), content, { mode: 0o755 });
        }
        await docker(["build", "--quiet", "--tag", inputs.tag, dir], { timeoutMs: 15 * 60_000 }).catch((e) => {
            throw new Error(imageBuildFailedMessage(inputs.tag, inputs.baseImage, e.message), { cause: e });
        });
        const { stdout: versions } = await docker([
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "dpkg-query",
            inputs.tag,
            "-W",
            "-f",
            "${Package}=${Version}\\n",
            "rabbitmq-server",
            "erlang-base",
        ]);
        const v = Object.fromEntries(
            versions
                .trim()
                .split("\n")
                .map((l) => l.split("=") as [string, string]),
        );
        // The versions become labels, so the next stack that needs this image reads them without running a container.
        fs.writeFileSync(
            path.join(dir, "Dockerfile"),
            `FROM ${inputs.tag}\nLABEL ${VERSION_LABELS.rabbitmq}="${v["rabbitmq-server"]}" ${VERSION_LABELS.erlang}="${v["erlang-base"]}"\n`,
        );
        await docker(["build", "--quiet", "--tag", cacheTag, "--tag", inputs.tag, dir], { timeoutMs: 5 * 60_000 });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const built = await cachedImage(cacheTag);
    if (!built) throw new Error(`the broker image ${cacheTag} was built but has no version labels`);
    return { ...inputs, imageId: built.id, cacheTag, rabbitmqVersion: built.rabbitmq, erlangVersion: built.erlang };
}

const VERSION_LABELS = { rabbitmq: "burrow.rabbitmq-server", erlang: "burrow.erlang-base" };

/** The cache image's id and the package versions in its labels, if it exists and has them. */
export async function cachedImage(tag: string): Promise<{ id: string; rabbitmq: string; erlang: string } | undefined> {
    // One JSON array, parsed whole: label values may hold spaces (e.g. "4.0.5 (local build)").
    const r = await docker(["image", "inspect", "--format", "[{{json .Id}},{{json .Config.Labels}}]", tag]).catch(
        () => undefined,
    );
    if (!r) return undefined;
    const [id, labels] = JSON.parse(r.stdout) as [string, Record<string, string> | null];
    const rabbitmq = labels?.[VERSION_LABELS.rabbitmq],
        erlang = labels?.[VERSION_LABELS.erlang];
    return rabbitmq && erlang ? { id, rabbitmq, erlang } : undefined;
}

export const dockerImageProvider: pulumi.dynamic.ResourceProvider<DockerImageInputs, DockerImageOutputs> =
    userFacingProvider({
        async create(inputs) {
            const outs = await build(inputs);
            return { id: outs.tag, outs };
        },
        async diff(_id, olds, news) {
            const replaces: string[] = changedInputs(olds, news, ["heldBy"]);
            // An image removed behind burrow's back is built again.
            if (replaces.length === 0 && !(await dockerExists("image", olds.tag))) replaces.push("tag");
            return { changes: replaces.length > 0, replaces };
        },
        async read(id, props) {
            return (await dockerExists("image", id)) ? { id, props } : { id: "", props };
        },
        async delete(_id, props) {
            // Untag only the stack's tag, and only while it still names this image: on a
            // replacement the new image has taken the tag already. The content tag stays as a
            // build cache.
            const current = await docker(["image", "inspect", "--format", "{{.Id}}", props.tag]).then(
                (r) => r.stdout.trim(),
                () => "",
            );
            if (current !== props.imageId) return;
            if (props.heldBy) {
                const owner = await docker([
                    "container",
                    "inspect",
                    "--format",
                    `{{index .Config.Labels "${OWNER_LABEL}"}}`,
                    props.heldBy.container,
                ]).then(
                    (r) => r.stdout.trim(),
                    () => "",
                );
                if (owner !== "" && owner !== props.heldBy.owner) return;
            }
            await docker(["image", "rm", props.tag]);
        },
    });

export class DockerImage extends DynamicResource {
    declare readonly imageId: pulumi.Output<string>;
    declare readonly rabbitmqVersion: pulumi.Output<string>;
    declare readonly erlangVersion: pulumi.Output<string>;
    declare readonly tag: pulumi.Output<string>;

    constructor(
        name: string,
        args: { [K in keyof DockerImageInputs]: pulumi.Input<DockerImageInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { dockerImageProvider }),
            "DockerImage",
            name,
            { ...args, imageId: undefined, cacheTag: undefined, rabbitmqVersion: undefined, erlangVersion: undefined },
            opts,
        );
    }
}
