// Dynamic provider: the seed tutorial's administration steps, run with rabbitmqctl on
// the broker's own node (the only way in before any user exists):
//   rabbitmqctl add_user admin <password>      (password on stdin, never in argv)
//   rabbitmqctl set_user_tags admin administrator
//   rabbitmqctl delete_user guest              (unless burrow:removeGuest is false)
// Permissions are granted afterwards through the management API (they may name vhosts
// that the topology creates).
import * as pulumi from "@pulumi/pulumi";
import { docker } from "../../lib/exec";

export interface AdminUserInputs {
    /** Container name the node runs in. */
    container: string;
    /** Changes when the container is replaced, so the user is made again on a fresh node. */
    containerId: string;
    username: string;
    password: string;
    tags: string[];
    removeGuest: boolean;
}

async function ctl(container: string, args: string[], input?: string) {
    // No --quiet: with it, rabbitmqctl 4.0 never reads the password from standard input.
    return docker(["exec", "--interactive", container, "rabbitmqctl", ...args], { input, timeoutMs: 60_000 });
}

async function apply(inputs: AdminUserInputs, previous?: AdminUserInputs): Promise<void> {
    const { container, username, password } = inputs;
    const step = (what: string) => (e: Error) => {
        throw new Error(`admin user "${username}" in ${container}: ${what} failed: ${e.message}`);
    };
    try {
        await ctl(container, ["add_user", username], password + "\n");
    } catch (e) {
        if (!/already exists/i.test((e as Error).message)) step("rabbitmqctl add_user")(e as Error);
        // Data kept from an earlier broker: the user is there, make the password the configured one.
        await ctl(container, ["change_password", username], password + "\n").catch(step("rabbitmqctl change_password"));
    }
    await ctl(container, ["set_user_tags", username, ...inputs.tags]).catch(step("rabbitmqctl set_user_tags"));
    if (inputs.removeGuest && username !== "guest") {
        await ctl(container, ["delete_user", "guest"]).catch((e) => {
            if (!/does not exist|no_such_user/i.test(e.message)) step("rabbitmqctl delete_user guest")(e);
        });
    }
    if (previous && previous.username !== username && previous.container === container) {
        await ctl(container, ["delete_user", previous.username]).catch(() => undefined);
    }
}

export const adminUserProvider: pulumi.dynamic.ResourceProvider<AdminUserInputs, AdminUserInputs> = {
    async create(inputs) {
        await apply(inputs);
        return { id: `${inputs.container}/${inputs.username}`, outs: inputs };
    },
    async diff(_id, olds, news) {
        const changed = (Object.keys(news) as (keyof AdminUserInputs)[]).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        // A new node gets the user again; a new name is an update (the old user is removed then).
        const replaces = changed.filter((k) => k === "container" || k === "containerId");
        return { changes: changed.length > 0, replaces };
    },
    async update(_id, olds, news) {
        await apply(news, olds);
        return { outs: news };
    },
    async delete() {
        // Nothing: destroy removes the container (and with it the user, unless burrow:keepData
        // keeps the data, when the next up finds the user and sets its password). Deleting the
        // user here would also run when only the container is replaced, and remove the admin
        // (and its permissions) from the kept data.
    },
};

export class AdminUser extends pulumi.dynamic.Resource {
    declare readonly username: pulumi.Output<string>;
    constructor(name: string, args: { [K in keyof AdminUserInputs]: pulumi.Input<AdminUserInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(adminUserProvider, name, args, { ...opts, additionalSecretOutputs: ["password"] }, "burrow", "AdminUser");
    }
}
