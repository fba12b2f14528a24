// A dynamic provider's way to speak in the CLI's output (preview and up): a warning sent to
// the Pulumi engine's log service, the one `pulumi.log.warn` uses in a program. Pulumi
// starts the dynamic-provider plugin with the engine's address as its first argument but
// never connects its log, so burrow connects itself. Used to name, at preview, every change
// that would lose data (lib/definitions-plan.ts).
import * as path from "path";

/** The engine's address in this process: set for programs, the plugin's first argument for dynamic providers. */
function engineAddress(): string | undefined {
    if (process.env.PULUMI_NODEJS_ENGINE) return process.env.PULUMI_NODEJS_ENGINE;
    // The plugin is started as `<plugin> [flags...] <engine address>`.
    if (!(process.argv[1] ?? "").includes(`${path.sep}dynamic-provider`)) return undefined;
    return process.argv
        .slice(2)
        .reverse()
        .find((a) => /^[\w.[\]:-]+:\d+$/.test(a));
}

/** Logs a warning through the engine (it shows in `pulumi preview`/`up`); stderr when there is no engine. */
export function engineWarn(message: string): Promise<void> {
    return engineLog("WARNING", message);
}

/** Logs a step through the engine (an info diagnostic of `pulumi up`), e.g. each step of a rolling upgrade. */
export function engineInfo(message: string): Promise<void> {
    return engineLog("INFO", message);
}

async function engineLog(severity: "WARNING" | "INFO", message: string): Promise<void> {
    const addr = engineAddress();
    if (!addr) {
        console.error(`${severity === "WARNING" ? "warning" : "info"}: ${message}`);
        return;
    }
    // @pulumi/pulumi's own gRPC stubs and its own copy of grpc-js (one copy in the process).
    const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
    const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
    const engproto = require("@pulumi/pulumi/proto/engine_pb");
    const client = new engrpc.EngineClient(addr, grpc.credentials.createInsecure());
    try {
        const req = new engproto.LogRequest();
        req.setSeverity(engproto.LogSeverity[severity]);
        req.setMessage(message);
        req.setUrn("");
        await new Promise<void>((resolve) => client.log(req, () => resolve()));
    } finally {
        client.close();
    }
}
