// Whose a Docker object is (lib/docker-ownership.ts), and that a new owner label never
// replaces a running broker container.
import { describe, expect, it } from "vitest";
import { RabbitmqContainerInputs, containerChanges } from "../../components/providers/rabbitmq-container";
import { mayUse, notOursMessage, ownershipOf } from "../../lib/docker-ownership";

const ours = { "burrow.stack": "dev", "burrow.owner": "aaaa" };

describe("ownershipOf", () => {
    it("is ours with our owner label", () => {
        expect(ownershipOf({ ...ours }, ours)).toEqual({ kind: "ours" });
    });

    it("is another state's with another owner, even under the same stack name", () => {
        const o = ownershipOf({ "burrow.stack": "dev", "burrow.owner": "bbbb" }, ours);
        expect(o).toEqual({ kind: "foreign", owner: "bbbb", stack: "dev" });
        expect(mayUse(o)).toBe(false);
    });

    it("adopts what an earlier burrow made for this stack (no owner label yet)", () => {
        const o = ownershipOf({ "burrow.stack": "dev" }, ours);
        expect(o).toEqual({ kind: "adoptable" });
        expect(mayUse(o)).toBe(true);
    });

    it("never adopts another stack's or a non-burrow object", () => {
        expect(ownershipOf({ "burrow.stack": "prod" }, ours)).toEqual({ kind: "foreign", owner: "", stack: "prod" });
        expect(ownershipOf({}, ours)).toEqual({ kind: "unlabelled" });
        expect(ownershipOf(null, ours)).toEqual({ kind: "unlabelled" });
    });

    it("lets a state written before owner labels use its own stack's objects", () => {
        expect(ownershipOf({ ...ours }, { "burrow.stack": "dev" })).toEqual({ kind: "ours" });
    });

    it("says whose it is and what to do", () => {
        const msg = notOursMessage(
            "volume",
            "burrow-dev-data",
            ownershipOf({ "burrow.stack": "dev", "burrow.owner": "bbbb" }, ours),
            ours,
        );
        expect(msg).toContain("burrow-dev-data");
        expect(msg).toContain("burrow.owner=bbbb");
        expect(msg).toContain("this stack's owner is aaaa");
        expect(msg).toContain("dockerNamePrefix");
        expect(msg).toContain("stack init");
    });
});

const container: RabbitmqContainerInputs = {
    name: "burrow-dev-2",
    image: "sha256:1",
    hostname: "rabbit-2",
    nodeName: "rabbit@rabbit-2",
    bindAddress: "127.0.0.1",
    amqpPort: 5673,
    managementPort: 15673,
    volume: "burrow-dev-2-data",
    memoryLimitMb: 512,
    memoryHighWatermark: 0.6,
    metricsPort: null,
    diskFreeLimit: { relative: 1 },
    openFileLimit: 20000,
    partitionHandling: "",
    rabbitmqConf: {},
    advancedConfig: "",
    envConfig: {},
    erlangCookie: "c",
    labels: { "burrow.stack": "dev" },
    readyTimeoutMs: 180_000,
    cluster: { network: "burrow-dev", alias: "rabbit-2", peers: ["rabbit@rabbit-1", "rabbit@rabbit-2"] },
    firstNode: { container: "burrow-dev-1", nodeName: "rabbit@rabbit-1" },
    tls: null,
    bootAdmin: null,
    bootDefinitions: null,
    rabbitmqVersion: "4.0.5-6",
};

describe("containerChanges", () => {
    it("stores a new owner label without replacing the running container", () => {
        expect(containerChanges(container, { ...container, labels: ours })).toEqual({
            replaces: [],
            stored: ["labels"],
        });
    });

    it("does not see the cluster input of an older state (with forgetVia) as a change", () => {
        const older = { ...container, cluster: { ...container.cluster!, forgetVia: "burrow-dev-1" } };
        expect(containerChanges(older, container)).toEqual({ replaces: [], stored: [] });
    });

    it("does not see a state from before parallel formation (no firstNode) as a change: it is how a node starts", () => {
        const { firstNode: _f, ...older } = container;
        expect(containerChanges(older as typeof container, container)).toEqual({ replaces: [], stored: [] });
    });

    it("does not restart a running node for a new peer list: the peers are read at its first boot only", () => {
        // States from before parallel boot list nodes 1..i; a node now lists node 1 and itself.
        const older = {
            ...container,
            cluster: { ...container.cluster!, peers: ["rabbit@rabbit-1", "rabbit@rabbit-2", "rabbit@rabbit-3"] },
        };
        expect(containerChanges(older, container)).toEqual({ replaces: [], stored: [] });
        // The network or alias still is a new node.
        expect(
            containerChanges(container, { ...container, cluster: { ...container.cluster!, alias: "rabbit-9" } })
                .replaces,
        ).toEqual(["cluster"]);
    });

    it("replaces the container for what the broker runs with", () => {
        expect(containerChanges(container, { ...container, image: "sha256:2", labels: ours })).toEqual({
            replaces: ["image"],
            stored: ["labels"],
        });
        expect(containerChanges(container, { ...container, memoryLimitMb: 1024 }).replaces).toEqual(["memoryLimitMb"]);
    });

    it("a new version comes with a new image; boot definitions only matter when the container is made", () => {
        expect(
            containerChanges(container, { ...container, rabbitmqVersion: "4.0.6-1", bootDefinitions: "{}" }),
        ).toEqual({ replaces: [], stored: [] });
    });
});
