// The management-object provider's diff (vhosts, users, permissions): what changes in place and what replaces.
import { describe, expect, it } from "vitest";
import { ManagementObjectOutputs, managementObjectProvider } from "../../components/providers/management-object";

const api = { url: "http://127.0.0.1:1", username: "admin", password: "pw-one-xxxx" };
const old = (o: Partial<ManagementObjectOutputs>): ManagementObjectOutputs => ({
    api,
    kind: "user",
    vhost: "/",
    name: "app",
    body: { tags: "" },
    generation: "",
    path: "/api/users/app",
    ...o,
});

describe("managementObjectProvider.diff", () => {
    it("replaces an object whose name changed, deleting the old one first", async () => {
        const d = await managementObjectProvider.diff!("id", old({}), { ...old({}), name: "app2" });
        expect(d).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
    });

    it("keeps a user on a new node: applied again, not replaced", async () => {
        const u = old({ generation: "node-a" });
        expect(await managementObjectProvider.diff!("id", u, { ...u, generation: "node-b" })).toMatchObject({
            changes: true,
            replaces: [],
        });
    });

    it("updates a user's tags or a permission in place", async () => {
        const p = old({ kind: "permission", body: { read: "a" } });
        expect(await managementObjectProvider.diff!("id", p, { ...p, body: { read: "b" } })).toMatchObject({
            changes: true,
            replaces: [],
        });
    });

    it("ignores a new admin password (the api field is how, not what)", async () => {
        const q = old({});
        expect(
            await managementObjectProvider.diff!("id", q, { ...q, api: { ...api, password: "pw-two-xxxx" } }),
        ).toMatchObject({ changes: false });
    });
});
