// Dynamic provider: the second half of a blue-green upgrade (broker-generation.ts makes the
// switch). Once the new broker (green) runs with the old one's (blue's) definitions and has
// the published ports, every queue's messages are moved from blue to green with dynamic
// shovels running on green (rabbitmq_shovel, enabled online for the move; ack-mode
// on-confirm: a message leaves blue only once green confirmed it), until blue's queues are
// empty as blue itself counts them (`rabbitmqctl list_queues`, not the API's statistics).
// Only then are blue's containers stopped and removed; Pulumi deletes their volumes at the
// end of the up. Each step looks at what exists first (blue's containers, shovels already
// running, streams already moved), so an interrupted move resumes on the next up.
import * as pulumi from "@pulumi/pulumi";
import { BLUE_ALIAS, BlueQueue, MOVE_SHOVEL_PREFIX, moveShovel } from "../../lib/blue-green";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { engineInfo } from "../../lib/engine-log";
import { docker } from "../../lib/exec";
import { ManagementApi, get, request, seg, waitForApi } from "../../lib/management-client";
import { unwrapSecrets } from "../../lib/secrets";
import { BlueBroker, waitNode } from "./broker-generation";
import { inspectContainer, stopAndRemove } from "./rabbitmq-container";

export interface BlueGreenMoveInputs {
    /** The old broker being emptied (BrokerGeneration's output); null: no upgrade in progress. */
    blue: BlueBroker | null;
    /** Green's node 1 container, where the shovels run. */
    greenContainer: string;
    /** Green's management API (secret); its admin is blue's too (green booted with blue's users). */
    api: ManagementApi;
    /** The plugins the broker is configured with: rabbitmq_shovel is enabled for the move only when it is not one. */
    plugins: string[];
    /** Longest time without progress before the move fails (default 5 min). */
    stallTimeoutMs: number;
}

export interface BlueGreenMoveOutputs extends BlueGreenMoveInputs {
    /** Messages blue's queues held when this move (or its last resumption) started. */
    moved: number;
    /** Queues of blue that held messages. */
    queues: number;
    finishedAt: string;
}

const STREAMS_MOVED = "/var/lib/rabbitmq/burrow-moved-streams";

async function inNode(container: string, args: string[], timeoutMs = 120_000) {
    return (await docker(["exec", container, ...args], { timeoutMs })).stdout;
}

/** Blue's queues with their depths, as blue's node counts them (durable, not exclusive). */
export async function blueQueues(container: string): Promise<BlueQueue[]> {
    const vhosts = JSON.parse(
        await inNode(container, ["rabbitmqctl", "list_vhosts", "name", "--formatter", "json", "-q"]),
    ) as Array<{ name: string }>;
    const out: BlueQueue[] = [];
    for (const { name: vhost } of vhosts) {
        const qs = JSON.parse(
            await inNode(container, [
                "rabbitmqctl",
                "list_queues",
                "-p",
                vhost,
                "name",
                "type",
                "messages",
                "durable",
                "exclusive",
                "--formatter",
                "json",
                "-q",
            ]),
        ) as Array<{ name: string; type: string; messages: number | string; durable: boolean; exclusive: boolean }>;
        for (const q of qs)
            if (q.durable && !q.exclusive)
                out.push({ vhost, name: q.name, type: q.type, messages: Number(q.messages) || 0 });
    }
    return out;
}

const label = (q: { vhost: string; name: string }) => `${q.vhost}/${q.name}`;

/** The move's shovels still on green (each deletes itself when its queue is moved). */
async function movingShovels(api: ManagementApi): Promise<Array<{ vhost: string; name: string }>> {
    const all = (await get<Array<{ vhost: string; name: string }>>(api, "/api/parameters/shovel")) ?? [];
    return all.filter((p) => p.name.startsWith(MOVE_SHOVEL_PREFIX));
}

/** Why green's shovels are not moving, from green's own shovel status (for the error). */
async function shovelTrouble(container: string): Promise<string> {
    return inNode(container, ["rabbitmqctl", "shovel_status", "--formatter", "json", "-q"]).then(
        (s) => s.slice(0, 2000),
        (e: Error) => e.message,
    );
}

/** Puts a container on a network (under an alias), unless it is there already. */
async function joinNetwork(network: string, container: string, alias?: string): Promise<void> {
    await docker(["network", "connect", ...(alias ? ["--alias", alias] : []), network, container]).catch((e: Error) => {
        if (!/already exists|already attached/i.test(e.message)) throw e;
    });
}

async function move(i: BlueGreenMoveInputs, previous?: BlueGreenMoveOutputs): Promise<BlueGreenMoveOutputs> {
    const blue = i.blue!;
    const say = (m: string) => engineInfo(`blue-green: ${m}`);
    const live = await Promise.all(blue.containers.map((c) => inspectContainer(c)));
    if (live.every((c) => !c)) {
        // Retired already: blue's containers are removed only after its queues were counted empty.
        return {
            ...i,
            moved: previous?.moved ?? 0,
            queues: previous?.queues ?? 0,
            finishedAt: new Date().toISOString(),
        };
    }
    // After an interruption (or an engine restart) blue may be stopped.
    await Promise.all(
        blue.containers.map(async (c, k) => {
            if (live[k] && !live[k]!.running) await docker(["start", c]);
            if (live[k]) await waitNode(c);
        }),
    );
    const blue1 = blue.containers[0];
    // Blue's node 1 under its alias on the move network. Its container joins it when made, but
    // an up interrupted between that create and the join, once the switch was recorded, resumes
    // here without the switch running again (the faults test's interrupted switch needs this).
    await joinNetwork(blue.moveNetwork, blue1, BLUE_ALIAS);
    await waitForApi(i.api, 120_000);
    // Green's node 1 reaches blue's node 1 on the move network; the shovel plugin runs there.
    await joinNetwork(blue.moveNetwork, i.greenContainer);
    const shovelConfigured = i.plugins.includes("rabbitmq_shovel");
    if (!shovelConfigured) await inNode(i.greenContainer, ["rabbitmq-plugins", "enable", "rabbitmq_shovel"]);

    const streamsMoved = new Set(
        (await inNode(blue1, ["sh", "-c", `cat ${STREAMS_MOVED} 2>/dev/null || true`])).split("\n").filter(Boolean),
    );
    const start = await blueQueues(blue1);
    const toMove = (qs: BlueQueue[]) =>
        qs.filter((q) => q.messages > 0 && !(q.type === "stream" && streamsMoved.has(label(q))));
    const first = toMove(start);
    const moved = first.reduce((n, q) => n + q.messages, 0);
    await say(
        `moving ${moved} messages of ${first.length} queue(s) from ${blue1} (RabbitMQ ${blue.version}) to ${i.greenContainer} (${blue.to})`,
    );
    const src = { host: BLUE_ALIAS, port: 5672, username: i.api.username, password: i.api.password };
    // The shovels act as the admin on both sides: in a vhost where it has no permissions it gets
    // them for the move (on green, taken back after it; blue is retired anyway).
    const admin = i.api.username;
    const granted: string[] = [];
    for (const vhost of [...new Set(first.map((q) => q.vhost))]) {
        await inNode(blue1, ["rabbitmqctl", "set_permissions", "-p", vhost, admin, ".*", ".*", ".*"]);
        const path = `/api/permissions/${seg(vhost)}/${seg(admin)}`;
        if ((await get(i.api, path)) === undefined) {
            await request(i.api, "PUT", path, { configure: ".*", write: ".*", read: ".*" });
            granted.push(path);
        }
    }

    // Queues whose shovel was seen (or made) in this run: a stream whose shovel came and went is moved.
    const shovelSeen = new Set<string>();
    let lastLeft = "";
    let lastProgress = Date.now();
    let emptyReads = 0;
    for (;;) {
        const shovels = new Set(
            (await movingShovels(i.api)).map((s) =>
                label({ vhost: s.vhost, name: s.name.slice(MOVE_SHOVEL_PREFIX.length) }),
            ),
        );
        for (const l of shovels) shovelSeen.add(l);
        const queues = await blueQueues(blue1);
        for (const q of queues)
            if (
                q.type === "stream" &&
                !streamsMoved.has(label(q)) &&
                shovelSeen.has(label(q)) &&
                !shovels.has(label(q))
            ) {
                streamsMoved.add(label(q));
                await inNode(blue1, ["sh", "-c", `printf '%s\\n' "$1" >> ${STREAMS_MOVED}`, "sh", label(q)]);
            }
        const left = toMove(queues);
        if (left.length === 0) {
            // Twice in a row: a quorum queue's count follows its log by a moment.
            if (++emptyReads >= 2) break;
        } else emptyReads = 0;
        for (const q of left.filter((q) => !shovels.has(label(q)))) {
            const s = moveShovel(q, src);
            await request(i.api, "PUT", `/api/parameters/shovel/${seg(s.vhost)}/${seg(s.name)}`, { value: s.value });
            shovelSeen.add(label(q));
        }
        const now = JSON.stringify(left.map((q) => [label(q), q.type === "stream" ? 0 : q.messages]));
        if (now !== lastLeft) {
            lastLeft = now;
            lastProgress = Date.now();
        } else if (Date.now() - lastProgress > i.stallTimeoutMs) {
            throw new Error(
                `blue-green: the move from ${blue1} made no progress for ${i.stallTimeoutMs / 1000} s ` +
                    `(left: ${left.map((q) => `${label(q)} ${q.messages}`).join(", ")}); the old broker was kept with its messages. ` +
                    `Green's shovels: ${await shovelTrouble(i.greenContainer)}`,
            );
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    await say(`every queue of ${blue1} is empty (counted by its node): retiring the old broker`);
    for (let k = blue.containers.length - 1; k >= 0; k--)
        if (live[k]) await stopAndRemove(blue.containers[k], blue.cluster);
    await docker(["network", "disconnect", blue.moveNetwork, i.greenContainer]).catch(() => undefined);
    await docker(["network", "rm", blue.moveNetwork]).catch(() => undefined);
    if (!shovelConfigured) await inNode(i.greenContainer, ["rabbitmq-plugins", "disable", "rabbitmq_shovel"]);
    for (const path of granted) await request(i.api, "DELETE", path, undefined, [404]);
    await say(`removed ${blue.containers.join(", ")}; their volumes are deleted at the end of this up`);
    return { ...i, moved, queues: first.length, finishedAt: new Date().toISOString() };
}

export const blueGreenMoveProvider: pulumi.dynamic.ResourceProvider<BlueGreenMoveInputs, BlueGreenMoveOutputs> =
    userFacingProvider({
        async create(inputs) {
            if (!inputs.blue) return { id: "move", outs: { ...inputs, moved: 0, queues: 0, finishedAt: "" } };
            return { id: "move", outs: await move(inputs) };
        },
        async diff(_id, wrappedOlds, news) {
            const olds = unwrapSecrets(wrappedOlds);
            // `api` is compared too: a new password must reach the state.
            return { changes: changedInputs(olds, news).length > 0, replaces: [] };
        },
        async update(_id, wrappedOlds, news) {
            const olds = unwrapSecrets(wrappedOlds);
            const sameMove = JSON.stringify(olds.blue) === JSON.stringify(news.blue);
            if (!news.blue || sameMove)
                return { outs: { ...news, moved: olds.moved, queues: olds.queues, finishedAt: olds.finishedAt } };
            return { outs: await move(news) };
        },
        async read(id, props) {
            return { id, props };
        },
        async delete() {
            // Nothing: blue's containers and volumes are their own resources'.
        },
    });

/** Moves every queue's messages from the old broker of a blue-green upgrade to the new one, then retires the old one. */
export class BlueGreenMove extends DynamicResource {
    declare readonly moved: pulumi.Output<number>;
    constructor(
        name: string,
        args: { [K in keyof BlueGreenMoveInputs]: pulumi.Input<BlueGreenMoveInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { blueGreenMoveProvider }),
            "BlueGreenMove",
            name,
            { ...args, moved: undefined, queues: undefined, finishedAt: undefined },
            { ...opts, additionalSecretOutputs: ["api"] },
        );
    }
}
