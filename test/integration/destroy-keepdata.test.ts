// `config set burrow:keepData true`, then destroy at once, with no `up` in between: the state
// still says the volume goes (destroy does not run the program, and the last up recorded
// keepData false). The volume's delete reads the stack's config as it is now
// (lib/keep-data.ts), so both a plain `pulumi destroy` and `npm run destroy` keep it, say so,
// and the next up finds every message. Real CLI, real Docker, amqplib counts.
import { spawnSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { recordFigure } from "../figures";
import { consumeUpTo, publishConfirmed, queueDepth, tally } from "./amqp-helpers";
import { PROJECT_ROOT, TestStack, allocatePorts, cleanUp, createTestStack } from "./harness";

const PASSWORD = "keep-Data-pass-1";
const COUNT = 300;
let ts: TestStack;
let amqpPort: number;
const url = () => `amqp://admin:${PASSWORD}@127.0.0.1:${amqpPort}`;

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
    const r = spawnSync(cmd, args, {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...ts.env, ...env },
        timeout: 300_000,
    });
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}
const volume = () => `burrow-${ts.name}-data`;
const volumeExists = async () =>
    (await docker(["volume", "ls", "-q", "--filter", `name=^${volume()}$`])).stdout.trim() !== "";
const containerExists = async () =>
    (await docker(["ps", "-aq", "--filter", `name=^burrow-${ts.name}$`])).stdout.trim() !== "";

/** Records keepData false with an up (as a stack that never kept its data), then publishes COUNT with confirms. */
async function stateSaysDelete(prefix: string): Promise<void> {
    await ts.stack.setConfig("burrow:keepData", { value: "false" });
    expect((await ts.up()).summary.result).toBe("succeeded");
    const sent = await publishConfirmed(url(), "kept", COUNT, { prefix });
    expect(sent.confirmed).toBe(COUNT);
}

/** After the destroy: the volume is there, the container is not; an up brings back every message. */
async function everyMessageBack(prefix: string): Promise<number> {
    expect(await volumeExists()).toBe(true);
    expect(await containerExists()).toBe(false);
    expect((await ts.up()).summary.result).toBe("succeeded");
    const seen = new Map<string, number>();
    await consumeUpTo(url(), "kept", COUNT, seen, 60_000);
    const t = tally(seen, COUNT, await queueDepth(url(), "kept"), prefix);
    expect(t).toEqual({ received: COUNT, lost: 0, duplicated: 0, leftInQueue: 0 });
    return t.lost;
}

beforeAll(async () => {
    amqpPort = await allocatePorts(2);
    ts = await createTestStack("keepdata", {
        amqpPort,
        managementPort: amqpPort + 1,
        adminPassword: PASSWORD,
        queues: [{ name: "kept", type: "quorum" }],
    });
});
afterAll(() =>
    cleanUp(async () => {
        await ts.stack.setConfig("burrow:keepData", { value: "false" });
        await ts.up();
        await ts.destroy();
    }),
);

describe("destroy right after `config set burrow:keepData true` (the last up recorded false)", () => {
    it("a plain `pulumi destroy` keeps the volume, says so, and the next up finds every message", async () => {
        await stateSaysDelete("plain-");
        await ts.stack.setConfig("burrow:keepData", { value: "true" });
        const d = run("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", ts.name]);
        expect(d.status, d.out).toBe(0);
        expect(d.out).toContain(
            `kept volume ${volume()} with the node's data: burrow:keepData is true in the stack's config`,
        );
        recordFigure("day2.keepdata-plain-destroy.lost", await everyMessageBack("plain-"));
    });

    it("`npm run destroy` says before it starts that the volume stays, keeps it, and the next up finds every message", async () => {
        await stateSaysDelete("npm-");
        await ts.stack.setConfig("burrow:keepData", { value: "true" });
        const d = run("npm", ["run", "--silent", "destroy"], { BURROW_STACK: ts.name });
        expect(d.status, d.out).toBe(0);
        expect(d.out).toContain(
            `the stack was last brought up with keepData false, but destroy keeps volume ${volume()} all the same (it reads the config when it deletes: burrow:keepData is true in the stack's config)`,
        );
        recordFigure("day2.keepdata-set-then-destroy.lost", await everyMessageBack("npm-"));
    });
});
