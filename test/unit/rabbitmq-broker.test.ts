// Component wiring with Pulumi's mocks: which resources the broker makes, their names,
// parents and inputs, and that secrets stay secret. No Docker, no broker.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}
const created: Recorded[] = [];

pulumi.runtime.setMocks(
    {
        newResource(args) {
            created.push({ type: args.type, name: args.name, inputs: args.inputs });
            const outs: Record<string, unknown> = { ...args.inputs };
            if (args.name.endsWith("-password") || args.name.endsWith("-cookie")) outs.value = "generated-secret-value";
            if (args.name.endsWith("-build"))
                Object.assign(outs, { imageId: "sha256:abc", rabbitmqVersion: "4.0.5-6", erlangVersion: "1:27.3.4" });
            if (args.name.endsWith("-node")) Object.assign(outs, { containerId: "c0ffee", readyMs: 4000 });
            if (args.name.endsWith("-smoke"))
                Object.assign(outs, { ok: true, totalMs: 42, checkedAt: "now", steps: [] });
            if (args.name.includes("-topology-")) Object.assign(outs, { path: "/api/x" });
            return { id: `${args.name}-id`, state: outs };
        },
        call(args) {
            throw new Error(`unexpected call to ${args.token}`);
        },
    },
    "burrow",
    "unit",
    false,
);

let mod: typeof import("../../components");
let image: typeof import("../../components/broker-image");
beforeAll(async () => {
    mod = await import("../../components");
    image = await import("../../components/broker-image");
});

const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const isSecret = <T>(o: pulumi.Output<T>) => pulumi.isSecret(o);

describe("RabbitmqBroker", () => {
    it("creates image, container, admin, topology and smoke test with role names", async () => {
        created.length = 0;
        const broker = new mod.RabbitmqBroker("b", {
            queues: [{ name: "tasks", type: "quorum", smoke: true }],
            exchanges: [{ name: "events", type: "topic" }],
            bindings: [{ source: "events", destination: "tasks", routingKey: "t.#" }],
            users: [{ name: "app", permissions: [{ vhost: "/" }] }],
        });
        const smoke = await promiseOf(broker.smoke);
        const names = created.map((r) => r.name);
        expect(names).toEqual(
            expect.arrayContaining([
                "b",
                "b-image",
                "b-image-build",
                "b-version-guard",
                "b-generation",
                "b-move",
                "b-container",
                "b-container-data",
                "b-container-node",
                "b-access",
                "b-access-admin",
                "b-topology",
                "b-admin-password",
                "b-erlang-cookie",
                "b-topology-definitions",
                "b-topology-user-app-password",
                "b-smoke",
            ]),
        );
        expect(smoke).toEqual({ ok: true, totalMs: 42, checkedAt: "now", queues: ["burrow.smoke", "tasks"] });

        const node = created.find((r) => r.name === "b-container-node")!;
        expect(node.inputs).toMatchObject({
            name: "burrow-unit",
            bindAddress: "127.0.0.1",
            amqpPort: 5672,
            managementPort: 15672,
            volume: "burrow-unit-data",
            nodeName: "rabbit@burrow",
        });
        const defs = created.find((r) => r.name === "b-topology-definitions")!;
        const parsed = (m: unknown) =>
            Object.fromEntries(Object.entries(m as Record<string, string>).map(([k, v]) => [k, JSON.parse(v)]));
        expect(parsed(defs.inputs.queues)).toEqual({
            "burrow.smoke": {
                vhost: "/",
                name: "burrow.smoke",
                durable: true,
                auto_delete: false,
                arguments: { "x-queue-type": "classic" },
            },
            tasks: {
                vhost: "/",
                name: "tasks",
                durable: true,
                auto_delete: false,
                arguments: { "x-queue-type": "quorum" },
            },
        });
        expect(Object.keys(defs.inputs.exchanges as object)).toEqual(["events"]);
        expect(parsed(defs.inputs.bindings)).toEqual({
            "events -> queue:tasks (t.#)": {
                vhost: "/",
                source: "events",
                destination: "tasks",
                destination_type: "queue",
                routing_key: "t.#",
                arguments: {},
            },
        });
        // The upgrade's resources: the guard before the image, the generation naming the containers.
        const index = (n: string) => created.findIndex((r) => r.name === n);
        expect(index("b-version-guard")).toBeLessThan(index("b-image-build"));
        expect(created.find((r) => r.name === "b-generation")!.inputs).toMatchObject({
            prefix: "burrow-unit",
            nodes: 0,
            release: "trixie",
            expectedVersion: "4.0.5",
        });
        const image = created.find((r) => r.name === "b-image-build")!;
        expect(image.inputs.dockerfile).toContain("FROM burrow/debian:trixie");
        expect(image.inputs.dockerfile).toContain("rabbitmq-plugins enable --offline rabbitmq_management");
        expect(image.inputs.tag).toBe("burrow/rabbitmq:unit");
    });

    it("keeps the password, AMQP URL and user passwords secret", async () => {
        const broker = new mod.RabbitmqBroker("s", {
            adminPassword: "correct-horse-battery",
            users: [{ name: "app" }],
        });
        expect(await isSecret(broker.adminPassword)).toBe(true);
        expect(await isSecret(broker.amqpUrl)).toBe(true);
        expect(await isSecret(broker.userPasswords)).toBe(true);
        expect(await isSecret(broker.managementUrl)).toBe(false);
        expect(await promiseOf(broker.amqpUrl)).toBe("amqp://admin:correct-horse-battery@127.0.0.1:5672");
    });

    it("publishes on the configured address and ports", async () => {
        const broker = new mod.RabbitmqBroker("p", { bindAddress: "::1", amqpPort: 5999, managementPort: 15999 });
        expect(await promiseOf(broker.managementUrl)).toBe("http://[::1]:15999");
    });
});

describe("brokerDockerfile", () => {
    it("installs from Debian's packages before enabling plugins, so plugin changes reuse the install layer", () => {
        const df = image.brokerDockerfile("burrow/debian:bookworm", ["rabbitmq_management", "rabbitmq_shovel"]);
        expect(df.indexOf("apt-get install")).toBeLessThan(df.indexOf("rabbitmq-plugins enable"));
        expect(df).toContain("rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_shovel");
        expect(df).toMatch(/^FROM burrow\/debian:bookworm$/m);
        expect(df).toContain("HEALTHCHECK");
    });
});
