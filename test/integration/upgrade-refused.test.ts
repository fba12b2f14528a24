// Upgrade planning at preview (issue 16), through the real CLI on a real broker: a downgrade
// (burrow:debianRelease trixie -> bookworm) is refused by preview and by up, naming the key
// and why, and nothing changes (the container, its start time, the stack's image tag, the
// queue's messages); a new series (trixie -> forky) previews as a blue-green upgrade and the
// preview changes nothing either; back on trixie the up changes nothing. On an SSH host, a
// version pin of a new series or an older version is refused at preview, with the manual
// steps (burrow moves series blue-green on the Docker target only).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { recordFigure } from "../figures";
import { publishConfirmed } from "./amqp-helpers";
import { sshExec } from "../../lib/ssh";
import { TestStack, allocatePorts, changesOf, cleanUp, createTestStack, freePort } from "./harness";
import { startSshHost } from "./ssh-host";

const PASSWORD = "upgrade-Admin-pass-1";

describe("a version change planned at preview", () => {
    let ts: TestStack;
    let amqpPort: number;
    const url = () => `amqp://admin:${PASSWORD}@127.0.0.1:${amqpPort}`;
    const container = () => `burrow-${ts.name}`;
    /** What a refused change must leave as it was: the container, its start, the image tag, the messages. */
    const snapshot = async () => {
        const c = (await docker(["inspect", "--format", "{{.Id}} {{.State.StartedAt}}", container()])).stdout.trim();
        const tag = (
            await docker(["image", "inspect", "--format", "{{.Id}}", `burrow/rabbitmq:${ts.name}`])
        ).stdout.trim();
        const depth = (
            await docker([
                "exec",
                container(),
                "rabbitmqctl",
                "list_queues",
                "name",
                "messages",
                "-q",
                "--formatter",
                "json",
            ])
        ).stdout;
        const orders = (JSON.parse(depth) as Array<{ name: string; messages: number }>).find(
            (q) => q.name === "orders",
        );
        return { container: c.split(" ")[0], startedAt: c.split(" ")[1], tag, messages: orders?.messages };
    };
    const setRelease = (r: string) => ts.stack.setConfig("burrow:debianRelease", { value: r });

    beforeAll(async () => {
        amqpPort = await allocatePorts(2);
        ts = await createTestStack("upgrefuse", {
            amqpPort,
            managementPort: amqpPort + 1,
            adminPassword: PASSWORD,
            queues: ["orders"],
        });
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect((await ts.stack.outputs()).rabbitmqVersion.value).toMatch(/^4\.0\./);
        const { confirmed } = await publishConfirmed(url(), "orders", 100);
        expect(confirmed).toBe(100);
    });
    afterAll(async () => ts?.destroy());

    it("refuses trixie -> bookworm at preview and at up, naming burrow:debianRelease; nothing changes", async () => {
        const before = await snapshot();
        expect(before.messages).toBe(100);
        await setRelease("bookworm");
        const refusals: string[] = [];
        for (const run of [() => ts.preview(), () => ts.up()]) {
            const e = await run().then(
                () => undefined,
                (err: Error) => err,
            );
            if (e) refusals.push(e.message);
        }
        const named = refusals.filter(
            (m) =>
                /burrow:debianRelease trixie -> bookworm is refused/.test(m) &&
                /data written by a newer RabbitMQ cannot be read by an older one/.test(m) &&
                /RabbitMQ 3\.10\.8 on data written by RabbitMQ 4\.0\.5/.test(m),
        ).length;
        const after = await snapshot();
        const changed = (["container", "startedAt", "tag", "messages"] as const).filter((k) => before[k] !== after[k]);
        recordFigure("upgrades.downgrade.refused", named, 2);
        recordFigure("upgrades.downgrade.broker-changed", changed.length, 4);
        expect(refusals.length).toBe(2);
        expect(named).toBe(2);
        expect(changed).toEqual([]);
    });

    it("previews trixie -> forky as a blue-green upgrade, changing nothing", async () => {
        const before = await snapshot();
        await setRelease("forky");
        const from = ts.output.length;
        const p = await ts.preview();
        const said = ts.output.slice(from).join("") + p.stdout + p.stderr;
        expect(said).toMatch(/burrow:debianRelease trixie -> forky: RabbitMQ 4\.0\.5 -> 4\.3\.6/);
        expect(said).toMatch(/upgraded blue-green/);
        expect(await snapshot()).toEqual(before);
    });

    it("back on trixie, up changes nothing", async () => {
        await setRelease("trixie");
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
        expect(changesOf(r)).toEqual({});
    });
});

describe("a version pin change on an SSH host", () => {
    let ts: TestStack;
    let host: Awaited<ReturnType<typeof startSshHost>>;
    const installed = async () =>
        (await sshExec(host.target, "dpkg-query -W -f='${Version}' rabbitmq-server")).stdout.trim();
    beforeAll(async () => {
        const amqpPort = await freePort();
        const managementPort = await freePort();
        host = await startSshHost("upgssh", { amqpPort, managementPort });
        ts = await createTestStack("upgssh", {
            target: "ssh",
            adminPassword: PASSWORD,
            ssh: {
                host: "127.0.0.1",
                port: host.sshPort,
                user: "root",
                privateKey: host.keys.private,
                hostKey: host.hostKey,
                accessHost: "127.0.0.1",
                accessAmqpPort: amqpPort,
                accessManagementPort: managementPort,
            },
        });
        expect((await ts.up()).summary.result).toBe("succeeded");
    });
    afterAll(() =>
        cleanUp(
            () => ts?.destroy(),
            () => host?.remove(),
        ),
    );

    it("refuses a new series and an older version at preview, naming burrow:rabbitmqVersion; the host keeps its version", async () => {
        const before = await installed();
        expect(before).toMatch(/^4\.0\.5/);
        const refusals: string[] = [];
        for (const pin of ["4.3.6-1", "3.10.8-1.1+deb12u1"]) {
            await ts.stack.setConfig("burrow:rabbitmqVersion", { value: pin });
            const e = await ts.preview().then(
                () => undefined,
                (err: Error) => err,
            );
            if (e) refusals.push(e.message);
        }
        const named = [
            /burrow:rabbitmqVersion 4\.0\.5 -> 4\.3\.6: .* is a new series, .*Docker target only.*export_definitions/s,
            /burrow:rabbitmqVersion 4\.0\.5 -> 3\.10\.8 is refused: .*cannot be read by an older one/s,
        ].filter((re, k) => re.test(refusals[k] ?? "")).length;
        recordFigure("upgrades.ssh.refused", named, 2);
        expect(refusals.length).toBe(2);
        expect(named).toBe(2);
        expect(await installed()).toBe(before);
        await ts.stack.removeConfig("burrow:rabbitmqVersion");
        expect(changesOf(await ts.up())).toEqual({});
    });
});
