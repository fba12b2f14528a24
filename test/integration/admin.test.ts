// The admin user through `rabbitmqctl eval` on the Docker target. With removeGuest: false the
// node does not import the admin at its first boot (that path also removes guest), so the
// admin is made by rabbitmqctl in the container; turning removeGuest on deletes guest;
// renaming `adminUser` makes the new user and removes the old one through the same path. Each
// step is checked through the management API and real logins, and ends with an up that changes nothing.
import * as amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { ManagementApi, get, request } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { TestStack, changesOf, cleanUp, createTestStack, freePort } from "./harness";

let ts: TestStack;
let amqpPort: number;
let managementPort: number;
let container: string;
let password: string;
const madeByRabbitmqctl: string[] = [];

const apiAs = (username: string): ManagementApi => ({
    url: `http://127.0.0.1:${managementPort}`,
    username,
    password,
});

/** Whether a user can log in over AMQP through the published port (the broker's answer). */
const amqpLogin = (user: string, pass: string) =>
    amqp.connect(`amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${amqpPort}`).then(
        async (c) => (await c.close(), "ok"),
        (e: Error) => e.message,
    );

beforeAll(async () => {
    amqpPort = await freePort();
    managementPort = await freePort();
    ts = await createTestStack("admin", { amqpPort, managementPort, removeGuest: false });
});
afterAll(() => cleanUp(() => ts?.destroy()));

describe("the admin user made with rabbitmqctl on Docker", () => {
    it("with removeGuest: false, makes the admin by rabbitmqctl and keeps guest as RabbitMQ ships it", async () => {
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value.ok).toBe(true);
        container = up.outputs.containerName.value;
        password = up.outputs.adminPassword.value;
        // No boot definitions: the node started with guest only, and the admin came after it.
        const conf = (await docker(["exec", container, "cat", "/etc/rabbitmq/rabbitmq.conf"])).stdout;
        expect(conf).not.toMatch(/load_definitions/);
        const admin = await get<{ name: string; tags: string[] }>(apiAs("admin"), "/api/whoami");
        if (admin?.name === "admin") madeByRabbitmqctl.push("admin");
        expect(admin).toMatchObject({ name: "admin", tags: ["administrator"] });
        // guest is there, loopback-only: it logs in inside the container, not through the published port.
        expect(await get(apiAs("admin"), "/api/users/guest")).toMatchObject({ name: "guest" });
        await docker(["exec", container, "rabbitmqctl", "authenticate_user", "guest", "guest"]);
        expect(await amqpLogin("guest", "guest")).toMatch(/ACCESS_REFUSED|403/);
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("deletes guest when removeGuest is turned on, without replacing the broker", async () => {
        const before = (await docker(["inspect", "--format", "{{.Id}}", container])).stdout.trim();
        await ts.stack.setConfig("burrow:removeGuest", { value: "true" });
        const up = await ts.up();
        expect(up.summary.result).toBe("succeeded");
        expect((await docker(["inspect", "--format", "{{.Id}}", container])).stdout.trim()).toBe(before);
        expect(await get(apiAs("admin"), "/api/users/guest")).toBeUndefined();
        const guest = await request({ ...apiAs("guest"), password: "guest" }, "GET", "/api/whoami", undefined, [401]);
        expect(guest.status).toBe(401);
        await expect(
            docker(["exec", container, "rabbitmqctl", "authenticate_user", "guest", "guest"]),
        ).rejects.toThrow();
        expect(changesOf(await ts.up())).toEqual({});
    });

    it("renames the admin: the new user is made with its tags and permissions, the old one removed", async () => {
        await ts.stack.setConfig("burrow:adminUser", { value: "ops-admin" });
        // Measured even when the up fails half-way: the figure then shows how far it got.
        const result = await ts.up().catch((e: Error) => e);
        const me = await get<{ name: string; tags: string[] }>(apiAs("ops-admin"), "/api/whoami").catch(
            () => undefined,
        );
        if (me?.name === "ops-admin") madeByRabbitmqctl.push("ops-admin");
        recordFigure("admin.rabbitmqctl-users-made", madeByRabbitmqctl.length, 2);
        if (result instanceof Error) throw result;
        const up = result;
        expect(up.summary.result).toBe("succeeded");
        expect(up.summary.resourceChanges?.replace ?? 0).toBe(0); // the broker is not rebuilt for a new name
        expect(up.outputs.adminUser.value).toBe("ops-admin");
        expect(up.outputs.smoke.value.ok).toBe(true);
        expect(me).toMatchObject({ name: "ops-admin", tags: ["administrator"] });
        expect(await get(apiAs("ops-admin"), "/api/permissions/%2F/ops-admin")).toMatchObject({
            configure: ".*",
            write: ".*",
            read: ".*",
        });
        expect(await get(apiAs("ops-admin"), "/api/users/admin")).toBeUndefined();
        expect(await amqpLogin("admin", password)).toMatch(/ACCESS_REFUSED|403/);
        // The stack's own URL carries the new name, and works.
        expect(up.outputs.amqpUrl.value).toContain("ops-admin");
        const c = await amqp.connect(up.outputs.amqpUrl.value);
        await c.close();
        expect(changesOf(await ts.up())).toEqual({});
    });
});
