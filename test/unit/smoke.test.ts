// The smoke test's bounds and its alarm messages, without a broker: pure functions, and a
// TCP listener that accepts and never speaks AMQP (a hung broker).
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alarmsInBlockedReason, explainAlarms, nodeAlarms, runSmoke, within } from "../../lib/smoke";

describe("within", () => {
    it("passes a value that comes in time", async () => {
        await expect(within(1000, "x", Promise.resolve(7))).resolves.toBe(7);
    });
    it("fails naming what it waited for, and hands a late value to `late`", async () => {
        let late: number | undefined;
        const slow = new Promise<number>((r) => setTimeout(() => r(9), 60));
        await expect(within(10, "no publisher confirm", slow, (v) => (late = v))).rejects.toThrow(
            "no publisher confirm within 10 ms",
        );
        await new Promise((r) => setTimeout(r, 80));
        expect(late).toBe(9);
    });
});

describe("alarm messages", () => {
    it("reads RabbitMQ's connection.blocked reasons", () => {
        expect(alarmsInBlockedReason("low on memory")).toEqual(["memory"]);
        expect(alarmsInBlockedReason("low on disk")).toEqual(["disk"]);
        expect(alarmsInBlockedReason("low on memory & low on disk")).toEqual(["memory", "disk"]);
        expect(alarmsInBlockedReason("something else")).toEqual([]);
    });

    it("names each alarmed node with its figures", () => {
        expect(
            nodeAlarms([
                { name: "rabbit@a", mem_alarm: true, mem_used: 95_000_000, mem_limit: 100_000, disk_free_alarm: false },
                { name: "rabbit@b", mem_alarm: false, disk_free_alarm: true, disk_free: 1e9, disk_free_limit: 2e9 },
                { name: "rabbit@c", mem_alarm: false, disk_free_alarm: false },
            ]),
        ).toEqual([
            { kind: "memory", text: "memory alarm on rabbit@a (uses 95 MB, watermark 0.100 MB)" },
            { kind: "disk", text: "disk alarm on rabbit@b (1000 MB free, limit 2000 MB)" },
        ]);
    });

    it("says what to do about a memory alarm: the burrow keys to raise", () => {
        const m = explainAlarms("low on memory", undefined)!;
        expect(m).toContain('the broker blocked publishing ("low on memory")');
        expect(m).toContain("memory alarm");
        expect(m).toContain("burrow:memoryLimitMb");
        expect(m).toContain("burrow:memoryHighWatermark");
        expect(m).not.toContain("disk alarm");
    });

    it("says what to do about a disk alarm seen only through the API", () => {
        const m = explainAlarms(undefined, [
            { name: "rabbit@x", disk_free_alarm: true, disk_free: 1, disk_free_limit: 2 },
        ])!;
        expect(m).toContain("disk alarm on rabbit@x");
        expect(m).toContain("free disk space");
        expect(m).not.toContain("memory");
    });

    it("says nothing when neither the connection nor the API shows an alarm", () => {
        expect(explainAlarms(undefined, [{ name: "rabbit@x", mem_alarm: false, disk_free_alarm: false }])).toBe(
            undefined,
        );
        expect(explainAlarms(undefined, undefined)).toBe(undefined);
    });
});

describe("runSmoke against a listener that never answers", () => {
    let server: net.Server;
    let port: number;
    const sockets: net.Socket[] = [];
    beforeAll(async () => {
        server = net.createServer((s) => sockets.push(s)); // accepts, reads, never speaks AMQP
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => {
        for (const s of sockets) s.destroy();
        server.close();
    });

    it("fails at connect within its bound instead of waiting", async () => {
        const t0 = Date.now();
        const r = await runSmoke({
            url: `amqp://u:secret@127.0.0.1:${port}`,
            queues: [{ vhost: "/", name: "q" }],
            timeoutMs: 300,
        });
        const ms = Date.now() - t0;
        console.log(`runSmoke against a silent listener failed after ${ms} ms (bound 300 ms)`);
        expect(r.ok).toBe(false);
        expect(r.error).toMatch(/smoke test failed at connect in vhost "\/"/);
        expect(r.error).not.toContain("secret");
        expect(r.steps.map((s) => s.step)).toEqual(["connect"]);
    });
});
