import { describe, expect, it } from "vitest";
import { EarlierJobFailed, OneAtATime } from "../../lib/one-at-a-time";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("OneAtATime", () => {
    it("runs a group's jobs one after the other, in arrival order, and other groups alongside", async () => {
        const q = new OneAtATime();
        const log: string[] = [];
        let running = 0;
        let most = 0;
        const job = (name: string, ms: number) => async () => {
            running++;
            most = Math.max(most, running);
            log.push(`start ${name}`);
            await tick(ms);
            log.push(`end ${name}`);
            running--;
            return name;
        };
        const results = await Promise.all([
            q.run("a", "a1", job("a1", 30)),
            q.run("a", "a2", job("a2", 5)),
            q.run("a", "a3", job("a3", 5)),
        ]);
        expect(results).toEqual(["a1", "a2", "a3"]);
        expect(log).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
        expect(most).toBe(1);

        const both: string[] = [];
        await Promise.all([
            q.run("x", "x", async () => {
                both.push("x in");
                await tick(20);
                both.push("x out");
            }),
            q.run("y", "y", async () => {
                both.push("y in");
                await tick(5);
                both.push("y out");
            }),
        ]);
        expect(both).toEqual(["x in", "y in", "y out", "x out"]);
    });

    it("refuses a group's later jobs once one failed, without running them, and names the failed one", async () => {
        const q = new OneAtATime();
        const ran: string[] = [];
        const first = q.run("c", "rabbit@rabbit-1", async () => {
            ran.push("1");
            throw new Error("drain failed");
        });
        const second = q.run("c", "rabbit@rabbit-2", async () => {
            ran.push("2");
        });
        await expect(first).rejects.toThrow("drain failed");
        const e = await second.catch((x: Error) => x);
        expect(e).toBeInstanceOf(EarlierJobFailed);
        expect((e as Error).message).toBe("rabbit@rabbit-2: not started, because rabbit@rabbit-1 failed first");
        expect((e as EarlierJobFailed).failed).toBe("rabbit@rabbit-1");
        expect(ran).toEqual(["1"]);
        // Another group is not held up by it.
        await expect(q.run("d", "d", async () => "ok")).resolves.toBe("ok");
    });
});
