// The retired ManagementObject provider: stacks made by an earlier burrow still hold such
// resources, and Pulumi deletes them after BrokerDefinitions has taken their objects over.
import { describe, expect, it } from "vitest";
import { managementObjectProvider } from "../../components/providers/management-object";

describe("the retired managementObjectProvider", () => {
    it("deletes nothing on the broker (the object now belongs to BrokerDefinitions)", async () => {
        // An API at an address where nothing listens: a delete that called it would throw.
        const props = {
            api: { url: "http://127.0.0.1:1", username: "admin", password: "pw-xxxxxxxx" },
            kind: "user",
            vhost: "/",
            name: "app",
            path: "/api/users/app",
        };
        await expect(managementObjectProvider.delete!("user:/:app", props)).resolves.toBeUndefined();
    });

    it("never creates new ones and reports no changes for old ones", async () => {
        await expect(managementObjectProvider.create!({})).rejects.toThrow(/retired/);
        expect(await managementObjectProvider.diff!("id", {}, {})).toEqual({ changes: false });
    });
});
