// `npm run destroy` after `config set burrow:keepData true` with no `up` in between: the state
// still says the volume goes (destroy does not run the program), so a plain destroy would
// delete the broker's messages although the config says to keep them. The wrapper refuses,
// naming the volume and what to do; after the `up` it asks for, the destroy keeps the volume
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

function npmDestroy() {
    return spawnSync("npm", ["run", "--silent", "destroy"], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...ts.env, BURROW_STACK: ts.name },
        timeout: 300_000,
    });
}
const volumeExists = async () =>
    (await docker(["volume", "ls", "-q", "--filter", `name=^burrow-${ts.name}-data$`])).stdout.trim() !== "";

beforeAll(async () => {
    amqpPort = await allocatePorts(2);
    ts = await createTestStack("keepdata", {
        amqpPort,
        managementPort: amqpPort + 1,
        adminPassword: PASSWORD,
        queues: [{ name: "kept", type: "quorum" }],
    });
    expect((await ts.up()).summary.result).toBe("succeeded");
});
afterAll(() =>
    cleanUp(async () => {
        await ts.stack.setConfig("burrow:keepData", { value: "false" });
        await ts.up();
        await ts.destroy();
    }),
);

describe("npm run destroy right after `config set burrow:keepData true`", () => {
    it("refuses, deletes nothing, and names the volume and the up to run first", async () => {
        const sent = await publishConfirmed(url(), "kept", COUNT, { prefix: "kept-" });
        expect(sent.confirmed).toBe(COUNT);
        await ts.stack.setConfig("burrow:keepData", { value: "true" });
        const r = npmDestroy();
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`burrow:keepData is true, but the stack was last brought up with keepData false`);
        expect(r.stderr).toContain(`volume burrow-${ts.name}-data`);
        expect(r.stderr).toContain("Run `npm run up` first");
        expect(await queueDepth(url(), "kept")).toBe(COUNT); // the broker still runs, every message in it
    });

    it("after that up, keeps the volume on destroy, and the next up finds every message", async () => {
        expect((await ts.up()).summary.result).toBe("succeeded");
        const d = npmDestroy();
        expect(d.status, d.stderr).toBe(0);
        expect(await volumeExists()).toBe(true);
        expect((await docker(["ps", "-aq", "--filter", `name=^burrow-${ts.name}$`])).stdout.trim()).toBe("");
        expect((await ts.up()).summary.result).toBe("succeeded");
        const seen = new Map<string, number>();
        await consumeUpTo(url(), "kept", COUNT, seen, 60_000);
        const t = tally(seen, COUNT, await queueDepth(url(), "kept"), "kept-");
        recordFigure("day2.keepdata-set-then-destroy.lost", t.lost);
        expect(t).toEqual({ received: COUNT, lost: 0, duplicated: 0, leftInQueue: 0 });
    });
});
