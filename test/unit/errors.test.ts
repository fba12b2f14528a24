// The exact text a user reads for each error they can cause: one sentence (or a short list)
// naming the burrow object, the `burrow:` key and the fix; no stack frames, no ANSI codes, no
// HTML entities. Where the error can be made for real without Docker (a taken port, an SSH
// server that refuses, a closed port), it is; the broker's answers are the bodies RabbitMQ
// 3.10.8, 4.0.5 and 4.3.6 returned when tried (see components/settings/rabbitmq.ts).
import { EventEmitter } from "events";
import * as net from "net";
import { Server } from "ssh2";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rabbitmqContainerProvider } from "../../components/providers/rabbitmq-container";
import { validatedSettings } from "../../components/rabbitmq-broker";
import { refusal } from "../../lib/definitions-plan";
import { userFacingError, userFacingProvider, withoutReported } from "../../lib/dynamic-resource";
import {
    ManagementApiError,
    baseImageMissingMessage,
    brokerReason,
    cleanMessage,
    imageBuildFailedMessage,
    importRefusedMessage,
    quietEngineShutdown,
} from "../../lib/errors";
import { request, waitForApi } from "../../lib/management-client";
import { runSmoke } from "../../lib/smoke";
import { sshExec } from "../../lib/ssh";
import { ed25519KeyPair } from "../ssh-keys";

/** What no user-facing message may contain. */
function expectClean(text: string) {
    expect(text).not.toMatch(/^\s+at /m); // stack frames
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/\u001b\[/); // ANSI codes
    expect(text).not.toMatch(/&(lt|gt|amp|quot);/); // HTML entities
    expect(text).not.toContain("unhandled exception");
}

async function closedPort(): Promise<number> {
    const srv = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    return port;
}

describe("1. a bad configuration", () => {
    it("stops the program with one message naming each key (a RunError: no stack trace)", () => {
        let err: Error | undefined;
        try {
            validatedSettings("burrow", { inputSource: "config", amqpPort: 0 as number });
        } catch (e) {
            err = e as Error;
        }
        expect(err?.constructor.name).toBe("RunError");
        expect(err?.message).toBe(
            "Invalid burrow configuration (1 problem); nothing was created or changed:\n" +
                "  - `burrow:amqpPort` is 0; a port is a whole number from 1 to 65535\n" +
                'Set values with `npm run pulumi -- config set burrow:<key> <value>` (objects and lists with --path or --json); see README "Configuration".',
        );
    });

    it("refuses a policy RabbitMQ 4.x would refuse (ha-mode), pointing to quorum queues", () => {
        expect(() =>
            validatedSettings("burrow", {
                inputSource: "config",
                policies: [{ name: "ha", pattern: ".*", definition: { "ha-mode": "all" } }],
            }),
        ).toThrow(
            '  - `burrow:policies[0].definition.ha-mode` is not a policy key of RabbitMQ 4.0.5 (`burrow:debianRelease` trixie): classic mirrored queues were removed in RabbitMQ 4.0; use quorum queues instead ("type": "quorum" in `burrow:queues`, replicated across the nodes of `burrow:cluster`) and remove the ha-* keys\n',
        );
    });
});

describe("2. the broker's refusal of a definitions import, decoded", () => {
    // Bodies as RabbitMQ answered POST /api/definitions.
    const v405 =
        '{"error":"bad_request","reason":"<<\\"Validation failed\\\\n\\\\n&lt;&lt;\\\\\\"ten\\\\\\"&gt;&gt; is not a valid maximum length\\\\n (//p)\\">>"}';
    const v436 =
        '{"error":"bad_request","reason":"Validation failed\\n\\n<<\\"ten\\">> is not a valid maximum length\\n (shop/cap)"}';

    it("reads the HTML-escaped Erlang binary of RabbitMQ 4.0.5", () => {
        expect(JSON.parse(v405).reason).toContain("&lt;&lt;"); // the body really is escaped
        expect(brokerReason(v405)).toBe('"ten" is not a valid maximum length (//p)');
        expect(brokerReason(v436)).toBe('"ten" is not a valid maximum length (shop/cap)');
    });

    it("names the policy and its config key, with the broker's reason", () => {
        const e = new ManagementApiError("POST", "/api/definitions", 400, v405);
        const text = importRefusedMessage(e.status, e.reason, "1 policies, 1 queues");
        expect(text).toBe(
            'RabbitMQ refused policy p (burrow:policies): "ten" is not a valid maximum length; correct it and run up again',
        );
        expectClean(text);
        expect(importRefusedMessage(400, brokerReason(v436), "")).toBe(
            'RabbitMQ refused policy shop/cap (burrow:policies): "ten" is not a valid maximum length; correct it and run up again',
        );
    });

    it("names unknown policy keys, a queue's bad argument, a binding's x-match, and a 500 without reason", () => {
        const unknown =
            '{"error":"bad_request","reason":"<<\\"Validation failed\\\\n\\\\n[{&lt;&lt;\\\\\\"ha-mode\\\\\\"&gt;&gt;,&lt;&lt;\\\\\\"all\\\\\\"&gt;&gt;}] are not recognised policy settings\\\\n (//ha)\\">>"}';
        expect(importRefusedMessage(400, brokerReason(unknown), "")).toBe(
            'RabbitMQ refused policy ha (burrow:policies): ha-mode ("all") is not a policy key it recognises; correct it and run up again',
        );
        const queueArg =
            '{"error":"bad_request","reason":"precondition_failed: invalid arg \'x-max-length\' for queue \'orders\' in vhost \'shop\': \\"expected integer, got longstr\\""}';
        expect(importRefusedMessage(400, brokerReason(queueArg), "")).toBe(
            "RabbitMQ refused queue shop/orders (burrow:queues): invalid arg 'x-max-length': \"expected integer, got longstr\"; correct it and run up again",
        );
        const xMatch =
            '{"error":"bad_request","reason":"{binding_invalid,\\"Invalid x-match field value ~tp; expected all, any, all-with-x, or any-with-x\\",\\n                 [<<\\"ten\\">>]}"}';
        expect(importRefusedMessage(400, brokerReason(xMatch), "1 bindings")).toBe(
            'RabbitMQ refused the definitions import (1 bindings): Invalid x-match field value "ten"; expected all, any, all-with-x, or any-with-x; correct the object it names and run up again',
        );
        expect(importRefusedMessage(500, brokerReason(""), "1 policies")).toBe(
            "RabbitMQ failed on the definitions import (1 policies) with HTTP 500 and gave no reason: a value it does not check made it fail (see `docker logs` of the broker, or /var/log/rabbitmq on the host); check the arguments and policy definitions in burrow:queues, burrow:exchanges and burrow:policies",
        );
    });

    it("cuts an Erlang crash report to its first words", () => {
        const crash = `{"error":"bad_request","reason":"Request to node rabbit@burrow failed with {'EXIT',\\n     {{case_clause,<<\\"ten\\">>},\\n [{rabbit_queue_location,select_leader_and_followers,2,[]}]}}"}`;
        const r = brokerReason(crash);
        expect(
            r.startsWith(
                "the broker crashed on the request (Request to node rabbit@burrow failed with {'EXIT', {{case_clause,",
            ),
        ).toBe(true);
        expect(r.length).toBeLessThan(160);
    });
});

describe("3. the management API out of reach", () => {
    it("says where burrow looked and what to check", async () => {
        const port = await closedPort();
        const api = { url: `http://127.0.0.1:${port}`, username: "admin", password: "x" };
        await expect(request(api, "GET", "/api/whoami")).rejects.toThrow(
            `the management API at http://127.0.0.1:${port} could not be reached (GET /api/whoami: connect ECONNREFUSED 127.0.0.1:${port}); is the broker running and reachable there? (Docker target: \`docker ps\`; SSH target: burrow:ssh.accessHost and accessManagementPort)`,
        );
        // Waiting for it says so once, not nested.
        const err = await waitForApi(api, 500).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).toBe(
            `the management API at http://127.0.0.1:${port} could not be reached (no answer within 0.5 s; last: GET /api/whoami: connect ECONNREFUSED 127.0.0.1:${port}); is the broker running and reachable there? (Docker target: \`docker ps\`; SSH target: burrow:ssh.accessHost and accessManagementPort)`,
        );
    });
});

/** A container's inputs; the port checks come before anything touches Docker. */
const containerInputs = {
    name: "burrow-unit",
    image: "none",
    hostname: "burrow",
    nodeName: "rabbit@burrow",
    bindAddress: "127.0.0.1",
    amqpPort: 1,
    managementPort: 1,
    volume: "none",
    memoryLimitMb: 256,
    memoryHighWatermark: 0.6,
    metricsPort: null,
    diskFreeLimit: { relative: 1 },
    openFileLimit: 20000,
    partitionHandling: "",
    rabbitmqConf: {},
    advancedConfig: "",
    envConfig: {},
    erlangCookie: "x",
    labels: { "burrow.stack": "unit" },
    readyTimeoutMs: 1000,
    cluster: null,
    firstNode: null,
    tls: null,
    bootAdmin: null,
    bootDefinitions: null,
    rabbitmqVersion: "4.0.5",
};

describe("4. a host port already taken", () => {
    let blocker: net.Server;
    let port: number;
    beforeAll(async () => {
        blocker = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => blocker.once("listening", r));
        port = (blocker.address() as net.AddressInfo).port;
    });
    afterAll(() => blocker.close());

    it("names the container, the port, the key, and how to free or change it, before anything is made", async () => {
        const err = await rabbitmqContainerProvider
            .create({ ...containerInputs, name: "burrow-unit-porttaken", amqpPort: port })
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err?.message).toBe(
            `the broker container burrow-unit-porttaken cannot publish port ${port} on 127.0.0.1 (burrow:amqpPort): it is already in use. Stop what listens there (\`ss -ltnp 'sport = :${port}'\`) or choose another port: \`npm run pulumi -- config set burrow:amqpPort <port>\``,
        );
        expectClean(err!.message);
    });
});

describe("4b. a bind address this host does not have", () => {
    it("names burrow:bindAddress instead of calling the port taken", async () => {
        const err = await rabbitmqContainerProvider
            .create({ ...containerInputs, name: "burrow-unit-bind", bindAddress: "192.0.2.1", amqpPort: 5999 })
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err?.message).toBe(
            "the broker container burrow-unit-bind cannot publish its ports on 192.0.2.1 (burrow:bindAddress): it is not an address of this host; use one it has (`ip -brief address`), e.g. 127.0.0.1: `npm run pulumi -- config set burrow:bindAddress 127.0.0.1`",
        );
    });
});

describe("5-8. an SSH host that refuses", () => {
    // A real SSH server (ssh2's) on 127.0.0.1: it shows its host key and refuses every key.
    const hostKey = ed25519KeyPair();
    const clientKey = ed25519KeyPair();
    let server: Server;
    let port: number;
    beforeAll(async () => {
        server = new Server({ hostKeys: [hostKey.private] }, (client) => {
            client.on("authentication", (ctx) => ctx.reject());
            client.on("error", () => undefined);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => server.close());
    const target = (over: object) => ({
        host: "127.0.0.1",
        port,
        user: "deploy",
        privateKey: clientKey.private,
        ...over,
    });

    it("5. host key mismatch: names the host, the key and the ssh-keyscan to run", async () => {
        const other = ed25519KeyPair().public;
        await expect(sshExec(target({ hostKey: other }), "true")).rejects.toThrow(
            new RegExp(
                `^host 127\\.0\\.0\\.1:${port}: the ssh-ed25519 host key does not match burrow:ssh\\.hostKey \\(a different host, or the host was rebuilt\\); check it with ssh-keyscan -t ssh-ed25519 -p ${port} 127\\.0\\.0\\.1 and update the pin$`,
            ),
        );
    });

    it("6. no host key pinned", async () => {
        await expect(sshExec(target({}), "true")).rejects.toThrow(
            `host 127.0.0.1:${port}: host-key checking is on and burrow:ssh.hostKey is not set; pin it (ssh-keyscan -p ${port} 127.0.0.1) or set burrow:ssh.insecureIgnoreHostKey true`,
        );
    });

    it("7. the key refused: names the user and what to do", async () => {
        await expect(sshExec(target({ hostKey: hostKey.public }), "true")).rejects.toThrow(
            `host 127.0.0.1:${port}: the key in burrow:ssh.privateKey was refused for user "deploy" (burrow:ssh.user); add its public key to that user's ~/.ssh/authorized_keys on the host, or set the key the host accepts`,
        );
    });

    it("8. a host that cannot be reached", async () => {
        const closed = await closedPort();
        await expect(sshExec(target({ port: closed, insecureIgnoreHostKey: true }), "true")).rejects.toThrow(
            `host 127.0.0.1:${closed} could not be reached (burrow:ssh.host, burrow:ssh.port): connect ECONNREFUSED 127.0.0.1:${closed}; check the address and that sshd listens there`,
        );
    });
});

describe("9. a missing base image", () => {
    it("names the image, the key and the bootstrap command that makes it", () => {
        expect(baseImageMissingMessage("burrow/debian:forky")).toBe(
            "the base image burrow/debian:forky (burrow:baseImage, from burrow:debianRelease forky) is not in the local Docker engine; make it with `npm run bootstrap -- --release forky`",
        );
        expect(baseImageMissingMessage("burrow/debian:nosuch")).toBe(
            "the base image burrow/debian:nosuch (burrow:baseImage) is not in the local Docker engine; load or build it, or set burrow:baseImage to a local image (`docker image ls`)",
        );
        expect(baseImageMissingMessage("mine/debian:13")).toBe(
            "the base image mine/debian:13 (burrow:baseImage) is not in the local Docker engine; load or build it, or set burrow:baseImage to a local image (`docker image ls`)",
        );
    });
});

describe("9b. a broker image that does not build", () => {
    it("says why in the build's words, without its colour codes, and how to remake a stale base image", () => {
        const output =
            "`docker build --quiet --tag burrow/rabbitmq:dev /tmp/x` failed with exit code 100: Step 2/7 : RUN apt-get update\n\u001b[91mE:\u001b[0m\u001b[91m Release file for http://deb.debian.org/debian/dists/forky/InRelease is expired (invalid since 23d). Updates for this repository will not be applied.\u001b[0m";
        expect(imageBuildFailedMessage("burrow/rabbitmq:dev", "burrow/debian:forky", output)).toBe(
            "building the broker image burrow/rabbitmq:dev FROM burrow/debian:forky (burrow:baseImage) failed; apt-get in the build must reach Debian's mirror. The mirror's Release file has expired and burrow/debian:forky does not ignore that: it was made by an older bootstrap; make it again: `docker image rm burrow/debian:forky && npm run bootstrap -- --release forky`. The build said: `docker build --quiet --tag burrow/rabbitmq:dev /tmp/x` failed with exit code 100: Step 2/7 : RUN apt-get update\nE: Release file for http://deb.debian.org/debian/dists/forky/InRelease is expired (invalid since 23d). Updates for this repository will not be applied.",
        );
    });
});

describe("10. a change that would lose data", () => {
    it("lists each loss and the exact consent", () => {
        expect(
            refusal([
                {
                    consent: "queue shop/orders",
                    message: "queue shop/orders: removed from the config: deleting it drops its 12 messages",
                },
            ]),
        ).toBe(
            [
                "burrow refuses a change that loses data; nothing was changed:",
                "  - queue shop/orders: removed from the config: deleting it drops its 12 messages",
                "To allow exactly this, set burrow:allowDataLoss and run up again:",
                `  npm run pulumi -- config set burrow:allowDataLoss '["queue shop/orders"]'`,
                `(a library user passes allowDataLoss: ["queue shop/orders"]). Remove it afterwards (config rm burrow:allowDataLoss), so the next data-losing change asks again.`,
            ].join("\n"),
        );
    });
});

describe("11. a failing smoke test", () => {
    it("names the step, the vhost and why, without the password", async () => {
        const port = await closedPort();
        const r = await runSmoke({
            url: `amqp://admin:s3cret@127.0.0.1:${port}`,
            queues: [{ vhost: "/", name: "q" }],
            timeoutMs: 2000,
        });
        expect(r.error).toBe(`smoke test failed at connect in vhost "/": connect ECONNREFUSED 127.0.0.1:${port}`);
    });
});

describe("12. errors leaving a dynamic provider", () => {
    it("lose stack frames and ANSI codes (docker build output), and keep the message", () => {
        const docker = new Error(
            "`docker build` failed with exit code 100: \u001b[91mE:\u001b[0m Release file is expired\n    at ChildProcess.<anonymous> (/work/lib/exec.js:70:24)\n    at node:internal/child_process:1:1",
        );
        const e = userFacingError(docker);
        expect(e.message).toBe("`docker build` failed with exit code 100: E: Release file is expired");
        expect(e.stack).toBe(`Error: ${e.message}`);
        expect(e.cause).toBe(docker);
        expect(cleanMessage("a\n    at new Promise (<anonymous>)\nb")).toBe("a\nb");
    });

    it("are not printed a second time by the dynamic-provider host (it logs `${e}: ${e.stack}` before reporting)", async () => {
        const provider = userFacingProvider<pulumi.dynamic.ResourceProvider>({
            async create(): Promise<pulumi.dynamic.CreateResult> {
                throw new Error("refused");
            },
            async diff(): Promise<pulumi.dynamic.DiffResult> {
                throw new Error("burrow refuses a change that loses data");
            },
        });
        const printed: unknown[][] = [];
        const consoleError = withoutReported((...a) => printed.push(a));
        const caught = await provider.diff!("id", {}, {}).then(
            () => undefined,
            (e: Error) => e,
        );
        consoleError(`${caught}: ${caught?.stack}`); // what @pulumi/pulumi's host does: dropped
        consoleError("something else"); // other output still goes through
        consoleError(`${caught}: ${caught?.stack}`); // only once
        expect(caught?.message).toBe("burrow refuses a change that loses data");
        expect(printed).toEqual([
            ["something else"],
            ["Error: burrow refuses a change that loses data: Error: burrow refuses a change that loses data"],
        ]);
        await expect(provider.create({})).rejects.toThrow("refused");
    });
});

describe("13. the engine shutting down after a provider refused", () => {
    it("is not reported as a second, unhandled exception; other errors still are", () => {
        const proc = new EventEmitter();
        const seen: unknown[] = [];
        proc.on("unhandledRejection", (e: unknown) => seen.push(e)); // @pulumi/pulumi's handler
        quietEngineShutdown(proc);
        quietEngineShutdown(proc); // once only
        const shutdown = Object.assign(new Error("14 UNAVAILABLE: resource monitor shut down"), {
            code: 14,
            details: "resource monitor shut down while waiting on output step's done channel",
        });
        const other = new Error("a real bug");
        proc.emit("unhandledRejection", shutdown, Promise.resolve());
        proc.emit("unhandledRejection", other, Promise.resolve());
        expect(seen).toEqual([other]);
    });
});
