// Dynamic provider: the seed tutorial's administration steps, run with rabbitmqctl on
// the broker's own node (the only way in before any user exists):
//   rabbitmqctl add_user admin <password>      (password on stdin, never in argv)
//   rabbitmqctl set_user_tags admin administrator
//   rabbitmqctl delete_user guest              (unless burrow:removeGuest is false)
// reached with `docker exec` (Docker target) or over SSH (SSH target). Permissions are
// granted afterwards through the management API (they may name vhosts the topology creates).
import * as pulumi from "@pulumi/pulumi";
import { docker } from "../../lib/exec";
import { unwrapSecrets } from "../../lib/secrets";
import { SshTarget, asRoot, shellQuote, sshExec } from "../../lib/ssh";

export type NodeTransport = { kind: "docker"; container: string } | { kind: "ssh"; ssh: SshTarget };

export interface AdminUserInputs {
    transport: NodeTransport;
    /** Changes when the node is new (container replaced, host reinstalled): the user is made again. */
    nodeId: string;
    username: string;
    password: string;
    tags: string[];
    removeGuest: boolean;
}

async function ctl(t: NodeTransport, args: string[], input?: string): Promise<void> {
    // No --quiet: with it, rabbitmqctl 4.0 never reads the password from standard input.
    if (t.kind === "docker") {
        await docker(["exec", "--interactive", t.container, "rabbitmqctl", ...args], { input, timeoutMs: 60_000 });
        return;
    }
    const cmd = ["rabbitmqctl", ...args].map(shellQuote).join(" ");
    const r = await sshExec(t.ssh, asRoot(t.ssh, cmd), { input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`rabbitmqctl ${args[0]} on ${t.ssh.host} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-4).join("\n")}`);
}

// During a preview the transport may still be unknown (its container is being replaced).
const where = (t: NodeTransport | undefined) =>
    t?.kind === "docker" ? t.container : t?.kind === "ssh" ? `${t.ssh.host}:${t.ssh.port}` : "(not known yet)";

async function apply(inputs: AdminUserInputs, previous?: AdminUserInputs): Promise<void> {
    const { transport: t, username, password } = inputs;
    const step = (what: string) => (e: Error): never => {
        throw new Error(`admin user "${username}" on ${where(t)}: ${what} failed: ${e.message}`);
    };
    try {
        await ctl(t, ["add_user", username], password + "\n");
    } catch (e) {
        if (!/already exists/i.test((e as Error).message)) step("rabbitmqctl add_user")(e as Error);
        // Data kept from an earlier broker: the user is there, make the password the configured one.
        await ctl(t, ["change_password", username], password + "\n").catch(step("rabbitmqctl change_password"));
    }
    await ctl(t, ["set_user_tags", username, ...inputs.tags]).catch(step("rabbitmqctl set_user_tags"));
    if (inputs.removeGuest && username !== "guest") {
        await ctl(t, ["delete_user", "guest"]).catch((e) => {
            if (!/does not exist|no_such_user/i.test(e.message)) step("rabbitmqctl delete_user guest")(e);
        });
    }
    if (previous && previous.username !== username && previous.nodeId === inputs.nodeId) {
        await ctl(t, ["delete_user", previous.username]).catch(() => undefined);
    }
}

export const adminUserProvider: pulumi.dynamic.ResourceProvider<AdminUserInputs, AdminUserInputs> = {
    async create(inputs) {
        await apply(inputs);
        return { id: `${where(inputs.transport)}/${inputs.username}`, outs: inputs };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        const changed = (Object.keys(news) as (keyof AdminUserInputs)[]).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        // A new node gets the user again; a new name is an update (the old user is removed then).
        const replaces = changed.filter((k) => k === "nodeId" || (k === "transport" && where(olds.transport) !== where(news.transport)));
        return { changes: changed.length > 0, replaces };
    },
    async update(_id, olds, news) {
        await apply(news, unwrapSecrets(olds));
        return { outs: news };
    },
    async delete() {
        // Nothing: destroy removes the node (and with it the user, unless burrow:keepData
        // keeps the data, when the next up finds the user and sets its password). Deleting the
        // user here would also run when only the node is replaced, and remove the admin (and
        // its permissions) from the kept data.
    },
};

export class AdminUser extends pulumi.dynamic.Resource {
    declare readonly username: pulumi.Output<string>;
    constructor(name: string, args: { [K in keyof AdminUserInputs]: pulumi.Input<AdminUserInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(adminUserProvider, name, args, { ...opts, additionalSecretOutputs: ["password", "transport"] }, "burrow", "AdminUser");
    }
}
