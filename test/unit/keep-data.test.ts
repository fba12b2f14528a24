import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
    configKeepData,
    dataHolders,
    deleteKeepsData,
    keepDataCheck,
    keepDataInStackConfig,
} from "../../lib/keep-data";

// Shaped as `pulumi stack export` writes a burrow stack (the parts lib/keep-data.ts reads).
// `stack`: the stack name the deletes were given (undefined: a state written before burrow recorded it).
const exported = (volumeKept: boolean, hostKept: boolean, stack?: string) => ({
    version: 3,
    deployment: {
        resources: [
            { urn: "urn:pulumi:dev::burrow::pulumi:pulumi:Stack::burrow-dev", type: "pulumi:pulumi:Stack" },
            {
                urn: "urn:pulumi:dev::burrow::burrow:index:RabbitmqBroker$burrow:index:BrokerContainer$pulumi-nodejs:dynamic/burrow:DockerVolume::burrow-node-data",
                type: "pulumi-nodejs:dynamic/burrow:DockerVolume",
                inputs: { name: "burrow-dev-data" },
                outputs: {
                    name: "burrow-dev-data",
                    labels: stack ? { "burrow.stack": stack, "burrow.owner": "abc" } : {},
                },
                ...(volumeKept ? { retainOnDelete: true } : {}),
            },
            {
                urn: "urn:pulumi:dev::burrow::burrow:index:RabbitmqBroker$pulumi-nodejs:dynamic/burrow:RemoteRabbitmq::burrow-host-rabbitmq",
                type: "pulumi-nodejs:dynamic/burrow:RemoteRabbitmq",
                inputs: {
                    keepData: hostKept,
                    ssh: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" },
                },
                outputs: { keepData: hostKept, ...(stack ? { stack } : {}) },
            },
        ],
    },
});

// A project directory with stack config files, as `pulumi config set` writes them.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-keepdata-"));
const writeConfig = (stack: string, text: string) => fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
writeConfig("keeps", 'config:\n  burrow:amqpPort: "5672"\n  burrow:keepData: "true"\n');
writeConfig("deletes", 'config:\n  burrow:keepData: "false"\n');
writeConfig("unset", "config:\n  burrow:amqpPort: 5672\n");
writeConfig("bool", "config:\n  burrow:keepData: true\n");
writeConfig("broken", "config: [\n");
writeConfig("capital", 'config:\n  burrow:keepData: "True"\n');
writeConfig("spaced", 'config:\n  burrow:keepData: " false "\n');
writeConfig("secret", "config:\n  burrow:keepData:\n    secure: v1:abc:def\n");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("keepData on destroy: kept when the state or the config says so", () => {
    it("reads each data holder of the state: Docker volumes by retainOnDelete, SSH installs by keepData, and the stack their delete reads", () => {
        expect(dataHolders(exported(true, false, "dev"))).toEqual([
            { what: "volume burrow-dev-data", kept: true, stack: "dev" },
            { what: "/var/lib/rabbitmq on burrow-host-rabbitmq", kept: false, stack: "dev" },
        ]);
        expect(dataHolders(exported(false, false)).map((h) => h.stack)).toEqual([undefined, undefined]);
        expect(dataHolders({})).toEqual([]);
    });

    it("reads burrow:keepData from the stack's config file as it is now, as the program reads it", () => {
        expect(keepDataInStackConfig("keeps", dir)).toBe(true);
        expect(keepDataInStackConfig("bool", dir)).toBe(true);
        expect(keepDataInStackConfig("deletes", dir)).toBe(false);
        expect(keepDataInStackConfig("spaced", dir)).toBe(false); // the program trims it too
        expect(keepDataInStackConfig("unset", dir)).toBeUndefined();
        expect(keepDataInStackConfig("broken", dir)).toBeUndefined();
        expect(keepDataInStackConfig("no-such-stack", dir)).toBeUndefined();
        expect(keepDataInStackConfig("../keeps", dir)).toBeUndefined(); // a name, never a path
    });

    it("a value set but not a plain true or false (a secret, True) is unclear: someone meant something", () => {
        expect(keepDataInStackConfig("capital", dir)).toBe("unclear");
        expect(keepDataInStackConfig("secret", dir)).toBe("unclear");
    });

    it("a delete keeps the data when the state or the config says so, or the config is unclear; never deletes what the state keeps", () => {
        expect(deleteKeepsData(true, "deletes", dir)).toEqual({ keep: true });
        expect(deleteKeepsData(false, "keeps", dir)).toEqual({
            keep: true,
            byConfig: "burrow:keepData is true in the stack's config",
        });
        expect(deleteKeepsData(false, "secret", dir).keep).toBe(true);
        expect(deleteKeepsData(false, "capital", dir).byConfig).toContain("not to a plain true or false");
        expect(deleteKeepsData(false, "deletes", dir)).toEqual({ keep: false });
        expect(deleteKeepsData(false, "unset", dir)).toEqual({ keep: false });
        expect(deleteKeepsData(false, undefined, dir)).toEqual({ keep: false });
    });

    it("config true, state false: the destroy goes on and says which data it keeps although the preview lists it as deleted", () => {
        const r = keepDataCheck(true, dataHolders(exported(false, false, "keeps")), dir);
        expect(r.refuse).toBeUndefined();
        expect(r.note).toContain(
            "the stack was last brought up with keepData false, but destroy keeps volume burrow-dev-data, /var/lib/rabbitmq on burrow-host-rabbitmq all the same",
        );
        expect(r.note).toContain("the preview lists them as deleted");
    });

    it("refuses a destroy whose deletes could not read the config (a state from before), naming the data and what to do", () => {
        const r = keepDataCheck(true, dataHolders(exported(false, false)), dir);
        expect(r.refuse).toContain("burrow:keepData is true, but the stack was last brought up with keepData false");
        expect(r.refuse).toContain("volume burrow-dev-data, /var/lib/rabbitmq on burrow-host-rabbitmq");
        expect(r.refuse).toContain("Nothing was destroyed. Run `npm run up` first");
        // The config file the deletes would read says otherwise (set elsewhere): refused too.
        expect(keepDataCheck(true, dataHolders(exported(false, false, "unset")), dir).refuse).toContain(
            "it would delete volume burrow-dev-data",
        );
    });

    it("lets a destroy go when state and config agree, and only warns when the state keeps what the config would not", () => {
        expect(keepDataCheck(true, dataHolders(exported(true, true, "keeps")), dir)).toEqual({});
        expect(keepDataCheck(false, dataHolders(exported(false, false, "deletes")), dir)).toEqual({});
        expect(keepDataCheck(false, dataHolders(exported(true, false, "deletes")), dir).warn).toContain(
            "this destroy keeps volume burrow-dev-data",
        );
        expect(keepDataCheck(true, [], dir)).toEqual({}); // nothing up: nothing to lose
    });

    it("a secret keepData false (printed decrypted) still keeps, and says why, since the deletes cannot read it", () => {
        const r = keepDataCheck(false, dataHolders(exported(false, false, "secret")), dir);
        expect(r.refuse).toBeUndefined();
        expect(r.note).toContain("destroy keeps volume burrow-dev-data");
        expect(r.note).toContain("not to a plain true or false");
    });

    it("reads the config value as `pulumi config get` prints it; unset is the default, false; anything unclear keeps", () => {
        expect(configKeepData("true\n")).toBe(true);
        expect(configKeepData("false")).toBe(false);
        expect(configKeepData("")).toBe(false);
        expect(configKeepData("True")).toBe(true); // no crash: a value set to something keeps
    });
});
