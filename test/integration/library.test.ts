// burrow as a library: a separate, tiny Pulumi project in TypeScript depends on burrow by
// path (the tarball `npm run pack-library` makes, as a release would be installed), writes
// `new RabbitmqBroker("mq", {...})` with typed args, and stands up a real broker through
// it. A mistyped arg fails to compile; a bad value fails the preview naming the arg path,
// as a clean message without a stack trace.
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as amqp from "amqplib";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, changesOf, dockerLeftovers, forceRemove, freePort } from "./harness";

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
let dir: string;
let stack: Stack;
let stackName: string;
const output: string[] = [];
const PASSWORD = "lib-Admin-pa55-word";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { RabbitmqBroker } from "burrow";

const config = new pulumi.Config();
const mq = new RabbitmqBroker("mq", {
    amqpPort: config.requireNumber("amqpPort"),
    managementPort: config.requireNumber("managementPort"),
    adminPassword: config.requireSecret("adminPassword"),
    queues: [{ name: "tasks", type: "quorum", smoke: true }, config.get("extraQueue") ?? "jobs"],
    exchanges: [{ name: "events", type: "topic" }],
    bindings: [{ source: "events", destination: "tasks", routingKey: "tasks.#" }],
});
export const amqpUrl = mq.amqpUrl;
export const managementUrl = mq.managementUrl;
export const smoke = mq.smoke;
export const containerName = mq.containerName;
`;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-library-"));
    // The library package as a release would be installed: `npm run pack-library` compiles the
    // components with their types and packs them.
    const packed = execFileSync("bash", [path.join(PROJECT_ROOT, "scripts/pack-library"), dir], { encoding: "utf8" })
        .trim()
        .split("\n")
        .pop()!;
    const project = path.join(dir, "tiny");
    fs.mkdirSync(project);
    fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify(
            {
                name: "tiny",
                private: true,
                main: "index.ts",
                dependencies: {
                    burrow: `file:${packed}`,
                    "@pulumi/pulumi": pkg.dependencies["@pulumi/pulumi"],
                },
                devDependencies: {
                    typescript: pkg.devDependencies.typescript,
                    "ts-node": pkg.devDependencies["ts-node"],
                    "@types/node": pkg.devDependencies["@types/node"],
                },
            },
            null,
            2,
        ),
    );
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: tiny\nruntime: nodejs\n");
    fs.writeFileSync(
        path.join(project, "tsconfig.json"),
        JSON.stringify({
            compilerOptions: { strict: true, target: "ES2022", module: "commonjs", esModuleInterop: true },
        }),
    );
    fs.writeFileSync(path.join(project, "index.ts"), PROGRAM);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "error"], {
        cwd: project,
        stdio: ["ignore", "inherit", "inherit"],
    });
    dir = project;
    stackName = `it-library-${Date.now().toString(36)}`;
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-library-state-"));
    stack = await LocalWorkspace.createOrSelectStack(
        { stackName, workDir: project },
        {
            envVars: {
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: "library-test",
                PULUMI_CONFIG_PASSPHRASE_FILE: "",
            },
        },
    );
    await stack.setAllConfig({
        "tiny:amqpPort": { value: String(await freePort()) },
        "tiny:managementPort": { value: String(await freePort()) },
        "tiny:adminPassword": { value: PASSWORD, secret: true },
    });
}, 10 * 60_000);

afterAll(async () => {
    if (!stack) return;
    try {
        await stack.destroy({ onOutput: (o) => output.push(o) });
    } catch (e) {
        await forceRemove(stackName);
        throw e;
    } finally {
        await stack.workspace.removeStack(stackName).catch(() => undefined);
    }
});

describe("burrow used as a library from another TypeScript project", () => {
    it("type-checks a program that uses RabbitmqBroker's typed args, and refuses a mistyped one", () => {
        const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
        const ok = spawnSync(process.execPath, [tsc, "--noEmit", "-p", dir], { encoding: "utf8" });
        expect(ok.stdout + ok.stderr).toBe("");
        fs.writeFileSync(
            path.join(dir, "wrong.ts"),
            `import { RabbitmqBroker } from "burrow";\nnew RabbitmqBroker("x", { queues: [{ name: "q", type: "lazy" }] });\n`,
        );
        const bad = spawnSync(process.execPath, [tsc, "--noEmit", "-p", dir], { encoding: "utf8" });
        fs.rmSync(path.join(dir, "wrong.ts"));
        expect(bad.status).not.toBe(0);
        expect(bad.stdout).toContain('"lazy"');
    });

    it("stands up a broker through it with one pulumi up, and the broker carries messages", async () => {
        const up = await stack.up({ onOutput: (o) => output.push(o) });
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.smoke.value).toMatchObject({ ok: true, queues: ["burrow.smoke", "tasks"] });
        expect(up.outputs.amqpUrl.secret).toBe(true);
        const conn = await amqp.connect(up.outputs.amqpUrl.value);
        try {
            const ch = await conn.createConfirmChannel();
            ch.publish("events", "tasks.one", Buffer.from("through-the-library"), { persistent: true });
            await ch.waitForConfirms();
            const m = await ch.get("tasks", { noAck: true });
            expect(m && m.content.toString()).toBe("through-the-library");
        } finally {
            await conn.close();
        }
        const again = await stack.up({ onOutput: (o) => output.push(o) });
        expect(changesOf(again)).toEqual({});
    });

    it("names a bad value by its argument path, as a message without a stack trace", async () => {
        await stack.setConfig("tiny:extraQueue", { value: "amq.reserved" });
        const err = await stack.preview().then(
            () => undefined,
            (e: Error) => String(e),
        );
        await stack.removeConfig("tiny:extraQueue");
        expect(err).toBeDefined();
        expect(err).toContain('Invalid arguments to RabbitmqBroker "mq"');
        expect(err).toContain('`queues[1].name` "amq.reserved" starts with "amq."');
        expect(err).not.toContain("burrow:");
        expect(err).not.toMatch(/unhandled exception|\n\s+at /);
    });

    it("leaves nothing behind on destroy", async () => {
        const d = await stack.destroy({ onOutput: (o) => output.push(o) });
        expect(d.summary.result).toBe("succeeded");
        expect(await dockerLeftovers(stackName)).toEqual([]);
        expect(output.join("\n")).not.toContain(PASSWORD);
    });
});
