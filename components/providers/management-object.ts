// Dynamic provider: one vhost, user, permission or topic permission of the broker,
// applied through the management HTTP API (PUT is idempotent; a changed name is a
// replacement). Queues, exchanges, bindings and policies are BrokerDefinitions.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn } from "../../lib/dynamic-resource";
import { ManagementApi, get, request, seg, waitForApi } from "../../lib/management-client";
import { unwrapSecrets } from "../../lib/secrets";
import { causedBy, isUnreachable } from "../../lib/errors";

export type ObjectKind = "vhost" | "user" | "permission" | "topic-permission";

export interface ManagementObjectInputs {
    /** Where and as whom; not part of the object, so a new admin password changes nothing here. */
    api: ManagementApi;
    kind: ObjectKind;
    vhost: string;
    /** Object name; for permissions the user. */
    name: string;
    /** The API body. */
    body: Record<string, unknown>;
    /** The broker node's identity: on a new node (a new container) the object is applied again, not replaced. */
    generation: string;
}

export interface ManagementObjectOutputs extends ManagementObjectInputs {
    /** The API path of the object. */
    path: string;
}

function pathOf(i: ManagementObjectInputs): string {
    const v = seg(i.vhost);
    switch (i.kind) {
        case "vhost":
            return `/api/vhosts/${v}`;
        case "user":
            return `/api/users/${seg(i.name)}`;
        case "permission":
            return `/api/permissions/${v}/${seg(i.name)}`;
        case "topic-permission":
            return `/api/topic-permissions/${v}/${seg(i.name)}`;
    }
}

async function put(i: ManagementObjectInputs): Promise<ManagementObjectOutputs> {
    const path = pathOf(i);
    await waitForApi(i.api, 60_000);
    const fail = (e: Error): never => {
        throw new Error(`${i.kind} "${i.name}" in vhost "${i.vhost}": ${e.message}`);
    };
    await request(i.api, "PUT", path, i.body).catch(fail);
    return { ...i, path };
}

export const managementObjectProvider: pulumi.dynamic.ResourceProvider<
    ManagementObjectInputs,
    ManagementObjectOutputs
> = {
    async create(inputs) {
        const outs = await put(inputs);
        return { id: `${inputs.kind}:${inputs.vhost}:${inputs.name}`, outs };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        // How burrow reaches the API is not part of the object.
        const changed = changedInputs(olds, news, ["api"]);
        const identity = changed.filter((k) => k === "kind" || k === "vhost" || k === "name");
        return { changes: changed.length > 0, replaces: identity, deleteBeforeReplace: true };
    },
    async update(_id, _olds, news) {
        return { outs: await put(news) };
    },
    async read(id, props) {
        if (!props) return { id, props };
        const found = await get(props.api, props.path).catch(() => undefined);
        return found === undefined ? { id: "", props } : { id, props };
    },
    async delete(_id, props) {
        try {
            await request(props.api, "DELETE", props.path, undefined, [404]);
        } catch (e) {
            // The broker itself is gone (destroy removes the container too): nothing left to delete.
            if (causedBy(e, isUnreachable)) return;
            throw e;
        }
    },
};

export class ManagementObject extends DynamicResource {
    declare readonly path: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof ManagementObjectInputs]: pulumi.Input<ManagementObjectInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { managementObjectProvider }),
            "ManagementObject",
            name,
            { ...args, path: undefined },
            { ...opts, additionalSecretOutputs: ["api"] },
        );
    }
}
