// Dynamic provider: the two settings a running RabbitMQ node takes without a restart, the
// memory high watermark and the disk free limit (rabbitmqctl set_vm_memory_high_watermark,
// set_disk_free_limit), on a broker container. Kept apart from the container so that a
// change of them is an update of this resource alone: the preview shows no restart, and
// nothing that waits on the container looks replaced. live.conf in the container is rewritten
// too, so the node starts with the same values after a restart.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import { CommandError, docker } from "../../lib/exec";
import { DiskFreeLimit, STAGED_DIR, diskFreeLimitArgs, float, liveConf } from "../../lib/node-config";

export interface LiveSettingsInputs {
    /** The broker container. */
    container: string;
    /** The container this applies to: a new one (replaced) is checked again. */
    containerId: string;
    memoryHighWatermark: number;
    diskFreeLimit: DiskFreeLimit;
}

const LIVE_FILE = `${STAGED_DIR}/live.conf`;

async function apply(i: LiveSettingsInputs): Promise<void> {
    const want = liveConf(i.memoryHighWatermark, i.diskFreeLimit) + "\n";
    const has = await docker(["exec", i.container, "cat", LIVE_FILE]).then(
        (r) => r.stdout,
        () => "",
    );
    // A container made with these values (its first boot read them) needs nothing.
    if (has === want) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-live-"));
    try {
        fs.writeFileSync(path.join(dir, "live.conf"), want, { mode: 0o644 });
        await docker(["cp", path.join(dir, "live.conf"), `${i.container}:${LIVE_FILE}`]);
        await docker(["cp", path.join(dir, "live.conf"), `${i.container}:/etc/rabbitmq/conf.d/90-burrow-live.conf`]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const ctl = (...args: string[]) =>
        docker(["exec", i.container, "rabbitmqctl", "-q", ...args], { timeoutMs: 120_000 });
    await ctl("set_vm_memory_high_watermark", float(i.memoryHighWatermark));
    await ctl("set_disk_free_limit", ...diskFreeLimitArgs(i.diskFreeLimit));
    // No restart, so no smoke test follows: a limit that puts the node in an alarm is said here.
    const alarm = await docker(["exec", i.container, "rabbitmq-diagnostics", "-q", "check_local_alarms"], {
        timeoutMs: 120_000,
    }).then(
        () => "",
        (e: CommandError) => (e.stdout || e.message).trim(),
    );
    if (alarm)
        throw new Error(
            `the node in ${i.container} took the new burrow:memoryHighWatermark / burrow:diskFreeLimit and is now in a resource alarm, which blocks every publisher: ${alarm}`,
        );
}

export const liveSettingsProvider: pulumi.dynamic.ResourceProvider<LiveSettingsInputs, LiveSettingsInputs> =
    userFacingProvider({
        async create(inputs) {
            await apply(inputs);
            return { id: `${inputs.container}-live`, outs: inputs };
        },
        async diff(_id, olds, news) {
            const changed = changedInputs(olds, news);
            return { changes: changed.length > 0, replaces: changed.includes("container") ? ["container"] : [] };
        },
        async update(_id, _olds, news) {
            await apply(news);
            return { outs: news };
        },
    });

export class LiveSettings extends DynamicResource {
    constructor(
        name: string,
        args: { [K in keyof LiveSettingsInputs]: pulumi.Input<LiveSettingsInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(providerIn(__filename, { liveSettingsProvider }), "LiveSettings", name, args, opts);
    }
}
