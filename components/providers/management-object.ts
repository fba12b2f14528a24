// Retired dynamic provider. Vhosts, users, permissions and topic permissions were one
// ManagementObject resource each; they are now part of BrokerDefinitions. A stack made by
// an earlier burrow still holds ManagementObjects in its state, and Pulumi deletes them on
// the first up after the upgrade — AFTER BrokerDefinitions has taken the same objects over.
// So this provider's delete must remove nothing (it would delete users and permissions the
// definitions just declared), and its other methods only keep the state readable.
import * as pulumi from "@pulumi/pulumi";
import { providerIn, userFacingProvider } from "../../lib/dynamic-resource";

export interface ManagementObjectOutputs {
    kind: "vhost" | "user" | "permission" | "topic-permission";
    vhost: string;
    name: string;
    path: string;
}

export const managementObjectProvider: pulumi.dynamic.ResourceProvider = userFacingProvider({
    async create() {
        throw new Error("ManagementObject is retired: burrow declares these objects through BrokerDefinitions");
    },
    async diff() {
        return { changes: false };
    },
    async read(id, props) {
        return { id, props };
    },
    async delete() {
        // Nothing: the object now belongs to BrokerDefinitions (see above).
    },
});

/** The provider reference an old state names; kept so its `__provider` still loads. */
export const managementObjectProviderRef = providerIn(__filename, { managementObjectProvider });
