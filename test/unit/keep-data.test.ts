import { describe, expect, it } from "vitest";
import { configKeepData, dataHolders, keepDataCheck } from "../../lib/keep-data";

// Shaped as `pulumi stack export` writes a burrow stack (the parts lib/keep-data.ts reads).
const exported = (volumeKept: boolean, hostKept: boolean) => ({
    version: 3,
    deployment: {
        resources: [
            { urn: "urn:pulumi:dev::burrow::pulumi:pulumi:Stack::burrow-dev", type: "pulumi:pulumi:Stack" },
            {
                urn: "urn:pulumi:dev::burrow::burrow:index:RabbitmqBroker$burrow:index:BrokerContainer$pulumi-nodejs:dynamic/burrow:DockerVolume::burrow-node-data",
                type: "pulumi-nodejs:dynamic/burrow:DockerVolume",
                inputs: { name: "burrow-dev-data" },
                ...(volumeKept ? { retainOnDelete: true } : {}),
            },
            {
                urn: "urn:pulumi:dev::burrow::burrow:index:RabbitmqBroker$pulumi-nodejs:dynamic/burrow:RemoteRabbitmq::burrow-host-rabbitmq",
                type: "pulumi-nodejs:dynamic/burrow:RemoteRabbitmq",
                inputs: {
                    keepData: hostKept,
                    ssh: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" },
                },
            },
        ],
    },
});

describe("keepData on destroy: the state decides, the config is checked against it", () => {
    it("reads each data holder of the state: Docker volumes by retainOnDelete, SSH installs by keepData", () => {
        expect(dataHolders(exported(true, false))).toEqual([
            { what: "volume burrow-dev-data", kept: true },
            { what: "/var/lib/rabbitmq on burrow-host-rabbitmq", kept: false },
        ]);
        expect(dataHolders({})).toEqual([]);
    });

    it("refuses a destroy that would delete data burrow:keepData says to keep, naming it and what to do", () => {
        const r = keepDataCheck(true, dataHolders(exported(false, false)));
        expect(r.refuse).toContain("burrow:keepData is true, but the stack was last brought up with keepData false");
        expect(r.refuse).toContain("volume burrow-dev-data, /var/lib/rabbitmq on burrow-host-rabbitmq");
        expect(r.refuse).toContain("Nothing was destroyed. Run `npm run up` first");
    });

    it("lets a destroy go when state and config agree, and only warns when the state keeps what the config would not", () => {
        expect(keepDataCheck(true, dataHolders(exported(true, true)))).toEqual({});
        expect(keepDataCheck(false, dataHolders(exported(false, false)))).toEqual({});
        expect(keepDataCheck(false, dataHolders(exported(true, false))).warn).toContain(
            "this destroy keeps volume burrow-dev-data",
        );
        expect(keepDataCheck(true, [])).toEqual({}); // nothing up: nothing to lose
    });

    it("reads the config value as `pulumi config get` prints it; unset is the default, false", () => {
        expect(configKeepData("true\n")).toBe(true);
        expect(configKeepData("false")).toBe(false);
        expect(configKeepData("")).toBe(false);
    });
});
