// What a user sees when they cause an error: the real `pulumi` CLI run as a user types it, on
// bad configurations and on a broker that refuses, with stdout and stderr read as printed. Each
// must show the clean sentence that names the key, the object and the fix, and none of what
// a crash shows: "unhandled exception", Node stack frames, HTML entities, ANSI colour codes.
import { spawn } from "child_process";
import * as net from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerDefinitionsProvider } from "../../components/providers/broker-definitions";
import { definitionsOf } from "../../lib/definitions-plan";
import { get, request } from "../../lib/management-client";
import { PROJECT_ROOT, TestStack, createTestStack, dockerLeftovers, freePort } from "./harness";

interface CliRun {
    code: number | null;
    /** stdout and stderr as the terminal shows them, interleaved. */
    output: string;
}

/** `pulumi <args> --stack <name>` as a user runs it (the project's toolchain on PATH), both streams read. */
function cli(ts: TestStack, args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--stack", ts.name, "--non-interactive"], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...ts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, output }));
    });
}

/** Nothing that a crash prints. */
function expectNoCrash(output: string) {
    expect(output).not.toContain("unhandled exception");
    expect(output).not.toMatch(/^\s+at .*(\(|\/|node:)/m); // Node stack frames
    expect(output).not.toContain("&lt;");
    expect(output).not.toContain("&gt;");
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/\u001b\[/);
    expect(output).not.toContain("Channel has been shut down");
}

describe("bad policies: refused at preview with one sentence each", () => {
    let ts: TestStack;
    beforeAll(async () => {
        ts = await createTestStack("errpolicy", {
            amqpPort: await freePort(),
            managementPort: await freePort(),
            policies: [
                { name: "mirror", pattern: "^ha\\.", definition: { "ha-mode": "all" } },
                { name: "cap", pattern: "^orders$", definition: { "max-length": "ten" } },
            ],
        });
    });
    afterAll(async () => ts?.destroy());

    it('names ha-mode on trixie with the pointer to quorum queues, and max-length "ten", and creates nothing', async () => {
        const r = await cli(ts, ["preview"]);
        expect(r.code).not.toBe(0);
        expect(r.output).toContain(
            "Invalid burrow configuration (2 problems); nothing was created or changed:\n" +
                '      - `burrow:policies[0].definition.ha-mode` is not a policy key of RabbitMQ 4.0.5 (`burrow:debianRelease` trixie): classic mirrored queues were removed in RabbitMQ 4.0; use quorum queues instead ("type": "quorum" in `burrow:queues`, replicated across the nodes of `burrow:cluster`) and remove the ha-* keys\n' +
                '      - `burrow:policies[1].definition.max-length` is "ten"; expected an integer >= 0\n',
        );
        expectNoCrash(r.output);
        const state = await ts.stack.exportStack();
        expect(state.deployment?.resources ?? []).toEqual([]);
    });
});

describe("a port already taken: `up` names the container, port, key and fix", () => {
    let ts: TestStack;
    let blocker: net.Server;
    let port: number;
    beforeAll(async () => {
        port = await freePort();
        blocker = net.createServer().listen(port, "127.0.0.1");
        ts = await createTestStack("errport", { amqpPort: port, managementPort: await freePort() });
    });
    afterAll(async () => {
        blocker?.close();
        await ts?.destroy();
    });

    it("fails with the sentence and leaves no container", async () => {
        const r = await cli(ts, ["up", "--yes", "--skip-preview"]);
        expect(r.code).not.toBe(0);
        expect(r.output).toContain(
            `error: the broker container burrow-${ts.name} cannot publish port ${port} on 127.0.0.1 (burrow:amqpPort): it is already in use. Stop what listens there (\`ss -ltnp 'sport = :${port}'\`) or choose another port: \`npm run pulumi -- config set burrow:amqpPort <port>\``,
        );
        expectNoCrash(r.output);
        const left = (await dockerLeftovers(ts.name)).filter(
            (x) => !x.endsWith("-data") && !x.startsWith("burrow/rabbitmq:"),
        );
        expect(left).toEqual([]);
    });
});

describe("a broker that refuses", () => {
    let ts: TestStack;
    let api: { url: string; username: string; password: string };
    beforeAll(async () => {
        const managementPort = await freePort();
        ts = await createTestStack("errbroker", {
            amqpPort: await freePort(),
            managementPort,
            adminPassword: "error-output-admin-pw",
            queues: ["orders"],
        });
        const up = await ts.stack.up();
        expect(up.summary.result).toBe("succeeded");
        api = { url: `http://127.0.0.1:${managementPort}`, username: "admin", password: "error-output-admin-pw" };
    });
    afterAll(async () => ts?.destroy());

    it("a change that would lose messages: the refusal once, without the provider's stack or the engine's shutdown echo", async () => {
        await request(api, "POST", "/api/exchanges/%2F/amq.default/publish", {
            properties: { delivery_mode: 2 },
            routing_key: "orders",
            payload: "keep me",
            payload_encoding: "string",
        });
        // The management API's message counts lag by a few seconds; the refusal reads them.
        for (let i = 0; i < 60; i++) {
            const q = await get<{ messages?: number }>(api, "/api/queues/%2F/orders");
            if (q?.messages === 1) break;
            await new Promise((r) => setTimeout(r, 500));
        }
        await ts.stack.setConfig("burrow:queues", { value: "[]" });
        const r = await cli(ts, ["preview"]);
        expect(r.code).not.toBe(0);
        expect(r.output).toContain(
            "error: burrow refuses a change that loses data; nothing was changed:\n" +
                "      - queue orders: removed from the config: deleting it drops its 1 message\n" +
                "    To allow exactly this, set burrow:allowDataLoss and run up again:\n" +
                `      npm run pulumi -- config set burrow:allowDataLoss '["queue orders"]'\n`,
        );
        expect(r.output.split("burrow refuses a change").length - 1).toBe(2); // the progress line and the diagnostic
        expectNoCrash(r.output);
        await ts.stack.setConfig("burrow:queues", { value: '["orders"]' });
    });

    it("a definitions import the broker refuses: the object, its key and the broker's reason, decoded", async () => {
        // Past burrow's own checks (a library user could not get here): the provider against the real broker.
        const definitions = definitionsOf({
            policies: [
                {
                    vhost: "/",
                    name: "cap",
                    pattern: "^orders$",
                    "apply-to": "queues",
                    definition: { "max-length": "ten" },
                    priority: 0,
                },
            ],
        });
        const err = await brokerDefinitionsProvider
            .create({ ...definitions, api, generation: "x", passwords: {}, groupSizes: {}, allowDataLoss: [] })
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err?.message).toBe(
            'RabbitMQ refused policy cap (burrow:policies): "ten" is not a valid maximum length; correct it and run up again',
        );
        expect(err?.stack).toBe(`Error: ${err?.message}`);
    });
});
