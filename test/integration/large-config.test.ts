// A stack config larger than one environment string may be (Linux: 128 KiB): 2,500 queues
// with a binding each. The language host passes it through a private file instead of the
// environment; before, `node` could not even start ("argument list too long").
import { execFileSync } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, TestStack, createTestStack } from "./harness";

const N = 2500;
let ts: TestStack;
const queues = Array.from({ length: N }, (_, i) => ({ name: `config-queue-${i}` }));
const bindings = queues.map((q) => ({ source: "amq.direct", destination: q.name, routingKey: q.name }));

beforeAll(async () => {
    ts = await createTestStack("bigconfig", {});
    // As a user sets a value this big: on standard input (as an argument it would not fit either).
    for (const [key, value] of Object.entries({ queues, bindings })) {
        execFileSync("pulumi", ["config", "set", `burrow:${key}`, "--stack", ts.name], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            input: JSON.stringify(value),
        });
    }
});
afterAll(async () => ts?.destroy());

describe("a stack config over 128 KiB", () => {
    it("reaches the program (preview plans every queue)", async () => {
        const size = JSON.stringify(queues).length + JSON.stringify(bindings).length;
        expect(size).toBeGreaterThan(128 * 1024); // the case that failed
        const preview = await ts.preview({ diff: true });
        expect(preview.changeSummary.create).toBeGreaterThan(0);
        expect(preview.stdout).toContain(`config-queue-${N - 1}`);
        // The temporary file holding the decrypted config is gone after the run.
        const fs = await import("fs");
        const os = await import("os");
        const left = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("burrow-program-config-"));
        expect(left).toEqual([]);
    });
});
