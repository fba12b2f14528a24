// Dynamic provider: the seed tutorial's administration steps on the broker's own node
// (the only way in before any user exists):
//   rabbitmqctl add_user admin <password>      (or change_password when it exists)
//   rabbitmqctl set_user_tags admin administrator
//   rabbitmqctl delete_user guest              (unless burrow:removeGuest is false)
// done by ONE `rabbitmqctl eval` of the same internal calls those commands make: each
// rabbitmqctl run boots an Erlang VM (~1.3 s), so one run instead of three saves ~2.5 s
// per up. The script comes on stdin with the password base64-encoded in it: never in
// argv. Reached with `docker exec` (Docker target) or over SSH (SSH target). Permissions
// are granted afterwards through the management API (they may name vhosts the topology creates).
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { docker } from "../../lib/exec";
import { ManagementApi, get } from "../../lib/management-client";
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
    /**
     * The management API, to see whether the node already made the user at its first boot
     * (boot definitions, Docker target): then creating it needs no rabbitmqctl run. null: always run it.
     */
    api: ManagementApi | null;
}

/** The user exists with this password and exactly these tags, and guest is gone if it should be. */
export async function alreadyInPlace(i: AdminUserInputs): Promise<boolean> {
    if (!i.api) return false;
    const api: ManagementApi = { ...i.api, username: i.username, password: i.password };
    try {
        const me = await get<{ name: string; tags: string[] | string }>(api, "/api/whoami");
        const tags = Array.isArray(me?.tags)
            ? me!.tags
            : String(me?.tags ?? "")
                  .split(",")
                  .filter(Boolean);
        if (me?.name !== i.username || [...tags].sort().join(",") !== [...i.tags].sort().join(",")) return false;
        if (i.removeGuest && i.username !== "guest" && (await get(api, "/api/users/guest")) !== undefined) return false;
        return true;
    } catch {
        return false; // 401 (no such user, other password) or not reachable: rabbitmqctl decides
    }
}

async function ctl(t: NodeTransport, args: string[], input?: string): Promise<void> {
    // No --quiet: with it, rabbitmqctl 4.0 never reads the password from standard input.
    if (t.kind === "docker") {
        await docker(["exec", "--interactive", t.container, "rabbitmqctl", ...args], { input, timeoutMs: 60_000 });
        return;
    }
    const cmd = ["rabbitmqctl", ...args].map(shellQuote).join(" ");
    const r = await sshExec(t.ssh, asRoot(t.ssh, cmd), { input, timeoutMs: 60_000 });
    if (r.code !== 0)
        throw new Error(
            `rabbitmqctl ${args[0]} on ${t.ssh.host} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-4).join("\n")}`,
        );
}

// During a preview the transport may still be unknown (its container is being replaced).
const where = (t: NodeTransport | undefined) =>
    t?.kind === "docker" ? t.container : t?.kind === "ssh" ? `${t.ssh.host}:${t.ssh.port}` : "(not known yet)";

const b64 = (s: string) => `base64:decode(<<"${Buffer.from(s, "utf8").toString("base64")}">>)`;

/**
 * The Erlang expression for `rabbitmqctl eval` (read from stdin): add the user or set its
 * password, set its tags, delete guest and a previous admin name. Names and password are
 * base64 literals, tags atoms from burrow's fixed list. Prints "created" or "updated".
 */
export function adminScript(
    i: Pick<AdminUserInputs, "username" | "password" | "tags" | "removeGuest">,
    removeUsers: string[] = [],
): string {
    const bad = i.tags.find((t) => !/^[a-z_]+$/.test(t));
    if (bad !== undefined) throw new Error(`user tag ${JSON.stringify(bad)} is not a plain lower-case word`);
    const remove = [
        ...(i.removeGuest && i.username !== "guest" ? ["guest"] : []),
        ...removeUsers.filter((u) => u !== i.username),
    ];
    return [
        `A = <<"burrow">>, U = ${b64(i.username)}, P = ${b64(i.password)},`,
        `Made = try rabbit_auth_backend_internal:add_user(U, P, A) of`,
        `  ok -> created;`,
        `  {error, Why} -> exit({add_user, Why})`,
        `catch throw:{error, {user_already_exists, _}} ->`,
        `  ok = rabbit_auth_backend_internal:change_password(U, P, A), updated`,
        `end,`,
        `ok = rabbit_auth_backend_internal:set_tags(U, [${i.tags.join(", ")}], A),`,
        ...remove.map(
            (u) =>
                `try rabbit_auth_backend_internal:delete_user(${b64(u)}, A) catch throw:{error, {no_such_user, _}} -> ok end,`,
        ),
        `Made.`,
        ``,
    ].join("\n");
}

async function apply(inputs: AdminUserInputs, previous?: AdminUserInputs): Promise<void> {
    const { transport: t, username } = inputs;
    const renamed =
        previous && previous.username !== username && previous.nodeId === inputs.nodeId ? [previous.username] : [];
    await ctl(t, ["eval"], adminScript(inputs, renamed)).catch((e: Error) => {
        throw new Error(
            `admin user "${username}" on ${where(t)}: rabbitmqctl eval (add_user, set_user_tags${inputs.removeGuest ? ", delete_user guest" : ""}) failed: ${e.message}`,
        );
    });
}

export const adminUserProvider: pulumi.dynamic.ResourceProvider<AdminUserInputs, AdminUserInputs> = userFacingProvider({
    async create(inputs) {
        if (!(await alreadyInPlace(inputs))) await apply(inputs);
        return { id: `${where(inputs.transport)}/${inputs.username}`, outs: inputs };
    },
    async diff(_id, wrappedOlds, news) {
        const olds = unwrapSecrets(wrappedOlds);
        // How burrow reaches the API is not part of the user.
        const changed = changedInputs(olds, news, ["api"]);
        // A new node gets the user again; a new name is an update (the old user is removed then).
        // A new transport alone is the same node reached another way (an SSH host re-addressed):
        // an update, applied through the new one.
        const replaces = changed.filter((k) => k === "nodeId");
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
});

export class AdminUser extends DynamicResource {
    declare readonly username: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof AdminUserInputs]: pulumi.Input<AdminUserInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(providerIn(__filename, { adminUserProvider }), "AdminUser", name, args, {
            ...opts,
            additionalSecretOutputs: ["password", "transport", "api"],
        });
    }
}
