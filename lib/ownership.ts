// Who owns a Docker object or an install on a host: a value unique to the stack's state
// (its backend, project and stack), so two checkouts that both use stack "dev" (each with
// its own file:// backend) never adopt each other's broker, while the same stack after a
// destroy with keepData finds its kept data again. Stored as the label `burrow.owner` on
// Docker objects and in /etc/burrow/owner on SSH hosts.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const OWNER_LABEL = "burrow.owner";

/** The owner id of a stack: a short hash of where its state lives and which stack it is. */
export function ownerIdOf(parts: { backend: string; organization: string; project: string; stack: string }): string {
    return crypto
        .createHash("sha256")
        .update(JSON.stringify([parts.backend, parts.organization, parts.project, parts.stack]))
        .digest("hex")
        .slice(0, 16);
}

/**
 * Where this process's Pulumi state lives: PULUMI_BACKEND_URL (burrow's scripts and tests set
 * it), else the backend `pulumi login` chose (credentials.json's "current"), else "".
 */
export function currentBackend(env: NodeJS.ProcessEnv = process.env): string {
    if (env.PULUMI_BACKEND_URL) return env.PULUMI_BACKEND_URL;
    const home = env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    try {
        const creds = JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")) as { current?: string };
        return creds.current ?? "";
    } catch {
        return "";
    }
}
