// Dynamic provider: one object of the broker's topology (vhost, user, permission,
// topic permission, queue, exchange, binding, policy), applied through the management
// HTTP API. Queues, exchanges and bindings cannot change in place on a broker, so any
// change to them is a replacement (delete first: the name is the identity).
import * as pulumi from "@pulumi/pulumi";
import { ManagementApi, get, request, seg, waitForApi } from "../../lib/management-client";
import { unwrapSecrets } from "../../lib/secrets";

export type ObjectKind = "vhost" | "user" | "permission" | "topic-permission" | "queue" | "exchange" | "binding" | "policy";

export interface ManagementObjectInputs {
    /** Where and as whom; not part of the object, so a new admin password changes nothing here. */
    api: ManagementApi;
    kind: ObjectKind;
    vhost: string;
    /** Object name; for permissions the user, for bindings "source -> destination". */
    name: string;
    /** The API body (for bindings also source/destination/destinationType). */
    body: Record<string, unknown>;
    /**
     * Changes when something this object hangs on was replaced: the broker node (a new
     * container), or a binding's queue or exchange. The object is then applied again
     * (PUT/POST are idempotent), never replaced, so a queue keeps its messages.
     */
    generation: string;
}

export interface ManagementObjectOutputs extends ManagementObjectInputs {
    /** The API path of the object (bindings: with their properties key). */
    path: string;
    /** When this object was last written; objects that hang on it take it as their `generation`. */
    appliedAt: string;
}

const REPLACE_ON_CHANGE: ObjectKind[] = ["queue", "exchange", "binding"];

function pathOf(i: ManagementObjectInputs): string {
    const v = seg(i.vhost);
    switch (i.kind) {
        case "vhost": return `/api/vhosts/${v}`;
        case "user": return `/api/users/${seg(i.name)}`;
        case "permission": return `/api/permissions/${v}/${seg(i.name)}`;
        case "topic-permission": return `/api/topic-permissions/${v}/${seg(i.name)}`;
        case "queue": return `/api/queues/${v}/${seg(i.name)}`;
        case "exchange": return `/api/exchanges/${v}/${seg(i.name)}`;
        case "policy": return `/api/policies/${v}/${seg(i.name)}`;
        case "binding": {
            const b = i.body as { source: string; destination: string; destinationType: string };
            return `/api/bindings/${v}/e/${seg(b.source)}/${b.destinationType === "exchange" ? "e" : "q"}/${seg(b.destination)}`;
        }
    }
}

async function put(i: ManagementObjectInputs): Promise<ManagementObjectOutputs> {
    const path = pathOf(i);
    await waitForApi(i.api, 60_000);
    const fail = (e: Error): never => {
        throw new Error(`${i.kind} "${i.name}" in vhost "${i.vhost}": ${e.message}`);
    };
    if (i.kind !== "binding") {
        await request(i.api, "PUT", path, i.body).catch(fail);
        return { ...i, path, appliedAt: new Date().toISOString() };
    }
    const { routing_key, arguments: args } = i.body as { routing_key: string; arguments: Record<string, unknown> };
    const res = await request(i.api, "POST", path, { routing_key, arguments: args }).catch(fail);
    const location = String(res.headers.location ?? "");
    const props = location.split("/").pop() || seg(routing_key || "~");
    return { ...i, path: `${path}/${props}`, appliedAt: new Date().toISOString() };
}

export const managementObjectProvider: pulumi.dynamic.ResourceProvider<ManagementObjectInputs, ManagementObjectOutputs> = {
    async create(inputs) {
        const outs = await put(inputs);
        return { id: `${inputs.kind}:${inputs.vhost}:${inputs.name}`, outs };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changed = (["kind", "vhost", "name", "body", "generation"] as const).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const identity = changed.filter((k) => k === "kind" || k === "vhost" || k === "name");
        const replaces = REPLACE_ON_CHANGE.includes(news.kind) ? changed.filter((k) => k !== "generation") : identity;
        return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
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
            if (/could not be reached/.test((e as Error).message)) return;
            throw e;
        }
    },
};

export class ManagementObject extends pulumi.dynamic.Resource {
    declare readonly path: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    declare readonly appliedAt: pulumi.Output<string>;
    constructor(name: string, args: { [K in keyof ManagementObjectInputs]: pulumi.Input<ManagementObjectInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(managementObjectProvider, name, { ...args, path: undefined, appliedAt: undefined }, { ...opts, additionalSecretOutputs: ["api"] }, "burrow", "ManagementObject");
    }
}
