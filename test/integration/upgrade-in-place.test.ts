// An in-place (rolling) upgrade of a 3-node cluster, through the real CLI (issue 16 slice 2).
// This mirror offers no point release of RabbitMQ to upgrade to, so the mechanics are proven
// with an image change of the same series (a plugin added): every container is made again on
// its volume the way a point release would be, one node at a time, each drained and revived
// once the quorum queues keep a majority without it. Watched from outside burrow while the up
// runs: every 300 ms the management API (through whichever node answers) says which nodes run
// and which are drained, and how many of the quorum queue's members are online; a publisher
// and a consumer run throughout, reconnecting to another node when theirs goes away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lib/exec";
import { ManagementApi, get } from "../../lib/management-client";
import { recordFigure } from "../figures";
import { TestStack, allocatePorts, changesOf, createTestStack } from "./harness";
import { accounting, startTraffic } from "./traffic";

const PASSWORD = "inplace-Admin-pass-1";
const APP = { name: "app", password: "inplace-App-pass-1" };
const node = (i: number) => `rabbit@rabbit-${i}`;

interface Sample {
    at: number;
    /** Nodes not serving: stopped or drained. */
    out: string[];
    drained: string[];
    /** Members of the quorum queue online (-1: no node answered). */
    online: number;
}

describe("an in-place rolling upgrade of a 3-node cluster", () => {
    let ts: TestStack;
    let amqp: number;
    let mgmt: number;
    const api = (i: number): ManagementApi => ({
        url: `http://127.0.0.1:${mgmt + i - 1}`,
        username: "admin",
        password: PASSWORD,
    });
    const containers = () => [1, 2, 3].map((i) => `burrow-${ts.name}-${i}`);
    const ids = async () =>
        Promise.all(containers().map(async (c) => (await docker(["inspect", "--format", "{{.Id}}", c])).stdout.trim()));

    beforeAll(async () => {
        amqp = await allocatePorts(3);
        mgmt = await allocatePorts(3);
        ts = await createTestStack("inplace", {
            amqpPort: amqp,
            managementPort: mgmt,
            adminPassword: PASSWORD,
            cluster: 3,
            queues: [{ name: "orders", type: "quorum" }],
            users: [{ name: APP.name, password: APP.password, permissions: [{ vhost: "/" }] }],
        });
        const r = await ts.up();
        expect(r.summary.result).toBe("succeeded");
    });
    afterAll(async () => ts?.destroy());

    it("replaces one node at a time, each drained and revived; quorum never below majority; nothing lost", async () => {
        const before = await ids();
        const samples: Sample[] = [];
        let watching = true;
        const watcher = (async () => {
            while (watching) {
                const s: Sample = { at: Date.now(), out: [], drained: [], online: -1 };
                for (const i of [1, 2, 3]) {
                    try {
                        const nodes =
                            (await get<Array<{ name: string; running: boolean; being_drained?: boolean }>>(
                                api(i),
                                "/api/nodes?columns=name,running,being_drained",
                            )) ?? [];
                        const q = await get<{ members?: string[]; online?: string[] }>(
                            api(i),
                            "/api/queues/%2F/orders?columns=members,online",
                        );
                        s.out = nodes.filter((n) => !n.running || n.being_drained).map((n) => n.name);
                        s.drained = nodes.filter((n) => n.being_drained).map((n) => n.name);
                        s.online = q?.online?.length ?? -1;
                        break;
                    } catch {
                        // That node is the one being replaced: ask the next.
                    }
                }
                samples.push(s);
                await new Promise((r) => setTimeout(r, 300));
            }
        })();
        const urls = [1, 2, 3].map((i) => `amqp://${APP.name}:${APP.password}@127.0.0.1:${amqp + i - 1}`);
        const traffic = startTraffic({ urls, queue: "orders", prefix: "inplace-", pauseMs: 5 });

        await ts.stack.setConfig("burrow:plugins", { value: JSON.stringify(["rabbitmq_shovel"]) });
        const from = ts.output.length;
        const r = await ts.up();
        watching = false;
        await watcher;
        const result = await traffic.stop();
        const said = ts.output.slice(from).join("");
        const after = await ids();

        const { published, lost, duplicated } = accounting(result);
        const answered = samples.filter((s) => s.online >= 0);
        const drainedSeen = new Set(answered.flatMap((s) => s.drained));
        const outAtOnce = Math.max(0, ...answered.map((s) => s.out.length));
        const minOnline = Math.min(...answered.map((s) => s.online));
        // The provider's own account of each node: drained before stopped, revived after, and
        // one node at a time (in the order the up reached them: node i's restart is no longer
        // ordered after node i-1's by a dependency, but by the provider's per-cluster queue).
        const steps = [1, 2, 3]
            .map((i) => ({
                drained: said.indexOf(`${node(i)} (burrow-${ts.name}-${i}): drained`),
                revived: said.indexOf(`${node(i)} (burrow-${ts.name}-${i}): revived`),
                quorum: said.indexOf(`${node(i)} (burrow-${ts.name}-${i}): quorum + 1 online`),
            }))
            .sort((a, b) => a.drained - b.drained);
        const inOrder = steps.every(
            (s, k) =>
                s.quorum >= 0 &&
                s.quorum < s.drained &&
                s.drained < s.revived &&
                (k === 0 || steps[k - 1].revived < s.drained),
        );
        console.log(
            `in-place: ${answered.length} samples, ${published} confirmed, reconnects ${result.publisherReconnects}/${result.consumerReconnects}`,
        );
        recordFigure("upgrades.in-place.published", published);
        recordFigure("upgrades.in-place.lost", lost);
        recordFigure("upgrades.in-place.duplicated", duplicated);
        recordFigure("upgrades.in-place.nodes-drained", drainedSeen.size, 3);
        recordFigure("upgrades.in-place.nodes-out-at-once", outAtOnce);
        recordFigure("upgrades.in-place.min-online-replicas", minOnline, 3);
        recordFigure("upgrades.in-place.nodes-replaced", after.filter((id, k) => id !== before[k]).length, 3);
        expect(r.summary.result).toBe("succeeded");
        expect(published).toBeGreaterThan(100);
        expect(lost).toBe(0);
        expect([...drainedSeen].sort()).toEqual([node(1), node(2), node(3)]);
        expect(outAtOnce).toBe(1);
        expect(minOnline).toBeGreaterThanOrEqual(2);
        expect(after.every((id, k) => id !== before[k])).toBe(true);
        expect(steps, said.slice(-4000)).toSatisfy(() => inOrder);
    });

    it("then up changes nothing", async () => {
        const r = await ts.up();
        expect(changesOf(r)).toEqual({});
    });
});
