// Big topologies: N queues, each with a binding, declared by burrow against the same objects
// in one definitions import (the floor). Stack config cannot carry them at N = 10,000: the
// CLI hands a program its whole config in one environment variable (PULUMI_CONFIG), and
// Linux refuses a single variable over 128 KiB ("argument list too long", also upstream
// Pulumi's pulumi/pulumi#8680), which 10,000 bindings exceed. So the bench does what such a
// user does: a small Pulumi program that uses burrow as a library and makes the lists in
// code, run by the same CLI, language host and plugin as the stack program.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./user-stack";

export const TOPOLOGY_PROJECT = "burrow-bench-topology";

/** N queues q0..q(N-1) in vhost nN, each bound to amq.direct by its name; N = 0: nothing. */
export const PROGRAM = `"use strict";
// Written by bench/topology.ts: burrow as a library with N queues + N bindings made in code.
const pulumi = require("@pulumi/pulumi");
const { RabbitmqBroker } = require("burrow-program/components");

const config = new pulumi.Config();
const n = config.requireNumber("n");
const vhost = "n" + n;
const queues = Array.from({ length: n }, (_, i) => ({ name: "q" + i, vhost }));
const broker = new RabbitmqBroker("burrow", {
    amqpPort: config.requireNumber("amqpPort"),
    managementPort: config.requireNumber("managementPort"),
    adminPassword: config.requireSecret("adminPassword"),
    // 10,000 classic queues (and as many again in the import) need more than the default 1 GiB.
    memoryLimitMb: 3072,
    // Going from one N to the next removes the previous N's vhost with its (empty) queues.
    allowDataLoss: true,
    vhosts: n > 0 ? [vhost] : [],
    queues,
    bindings: queues.map((q) => ({ vhost, source: "amq.direct", destination: q.name, routingKey: q.name })),
});
exports.managementUrl = broker.managementUrl;
exports.containerName = broker.containerName;
exports.smoke = broker.smoke;
`;

export const FLOOR_PROJECT = "burrow-bench-topology-floor";

/**
 * The floor of a no-change up at N: what Pulumi itself costs for that many objects. One
 * dynamic resource holding the same N queues + N bindings as burrow's state does (a map from
 * label to the object's JSON), with a provider that does nothing: no broker, no burrow.
 */
export const FLOOR_PROGRAM = `"use strict";
// Written by bench/topology.ts: one do-nothing dynamic resource holding N queues + N bindings.
const pulumi = require("@pulumi/pulumi");
const n = new pulumi.Config().requireNumber("n");
const vhost = "n" + n;
const queues = {};
const bindings = {};
for (let i = 0; i < n; i++) {
    const q = "q" + i;
    queues[vhost + "/" + q] = JSON.stringify({ name: q, vhost, durable: true, auto_delete: false, arguments: { "x-queue-type": "classic" } });
    bindings[vhost + "/amq.direct/" + q] = JSON.stringify({ source: "amq.direct", vhost, destination: q, destination_type: "queue", routing_key: q, arguments: {} });
}
const provider = {
    async create(inputs) { return { id: "floor", outs: inputs }; },
    async diff(_id, olds, news) { return { changes: JSON.stringify(olds) !== JSON.stringify(news) }; },
    async update(_id, _olds, news) { return { outs: news }; },
};
new pulumi.dynamic.Resource(provider, "objects", { queues, bindings });
`;

/** A directory holding the program; its node_modules is the project's (burrow-program, @pulumi/pulumi). */
export function topologyProgram(project = TOPOLOGY_PROJECT, program = PROGRAM): { dir: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${project}-`));
    const pulumiYaml = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    // The same runtime options as the project (node args), another name and program.
    const runtime = pulumiYaml.slice(pulumiYaml.indexOf("runtime:"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${project}\ndescription: burrow bench, big topologies (bench/topology.ts)\nmain: index.js\n${runtime}`,
    );
    fs.writeFileSync(path.join(dir, "index.js"), program);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The same N queues + bindings as one definitions document, in vhost `vhost`. */
export function definitions(n: number, vhost: string, user: string) {
    const queues = Array.from({ length: n }, (_, i) => `q${i}`);
    return {
        vhosts: [{ name: vhost }],
        permissions: [{ user, vhost, configure: ".*", write: ".*", read: ".*" }],
        queues: queues.map((name) => ({
            name,
            vhost,
            durable: true,
            auto_delete: false,
            arguments: { "x-queue-type": "classic" },
        })),
        bindings: queues.map((name) => ({
            source: "amq.direct",
            vhost,
            destination: name,
            destination_type: "queue",
            routing_key: name,
            arguments: {},
        })),
    };
}

/**
 * A management API call as a user makes it (curl or fetch), not through burrow's client,
 * whose 30 s socket timeout a 10,000-object import (or removing its vhost) outlasts.
 */
export async function management(
    api: { url: string; username: string; password: string },
    method: string,
    path: string,
    body?: unknown,
) {
    const auth = `Basic ${Buffer.from(`${api.username}:${api.password}`).toString("base64")}`;
    const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30 * 60_000),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
}
