// The management-object provider's diff: what changes in place and what replaces.
import { describe, expect, it } from "vitest";
import { ManagementObjectOutputs, managementObjectProvider } from "../../components/providers/management-object";

const api = { url: "http://127.0.0.1:1", username: "admin", password: "pw-one-xxxx" };
const old = (o: Partial<ManagementObjectOutputs>): ManagementObjectOutputs => ({
    api, kind: "queue", vhost: "/", name: "q", body: { durable: true }, generation: "", path: "/api/queues/%2F/q", appliedAt: "t0", ...o,
});

describe("managementObjectProvider.diff", () => {
    it("replaces a queue whose arguments changed, deleting the old one first", async () => {
        const d = await managementObjectProvider.diff!("id", old({}), { ...old({}), body: { durable: true, arguments: { "x-queue-type": "quorum" } } });
        expect(d).toEqual({ changes: true, replaces: ["body"], deleteBeforeReplace: true });
    });

    it("applies a binding again, not replacing it, when its queue or the node was replaced", async () => {
        const b = old({ kind: "binding", generation: "t0" });
        expect(await managementObjectProvider.diff!("id", b, { ...b, generation: "t1" })).toMatchObject({ changes: true, replaces: [] });
    });

    it("keeps a queue (and its messages) on a new node: applied again, not replaced", async () => {
        const q = old({ generation: "node-a" });
        expect(await managementObjectProvider.diff!("id", q, { ...q, generation: "node-b" })).toMatchObject({ changes: true, replaces: [] });
    });

    it("updates a policy or user in place", async () => {
        const p = old({ kind: "policy", body: { pattern: "a" } });
        expect(await managementObjectProvider.diff!("id", p, { ...p, body: { pattern: "b" } })).toMatchObject({ changes: true, replaces: [] });
    });

    it("ignores a new admin password (the api field is how, not what)", async () => {
        const q = old({});
        expect(await managementObjectProvider.diff!("id", q, { ...q, api: { ...api, password: "pw-two-xxxx" } })).toMatchObject({ changes: false });
    });
});
