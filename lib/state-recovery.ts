// What a `pulumi` CLI killed hard (SIGKILL, the OOM killer, a closed terminal) can leave in a
// file backend, and its repair: scripts/recover-state, which `npm run up` and `npm run destroy`
// run first.
//
// The file backend stores each file through gocloud's fileblob: the new content goes to
// `<file>.<hex>.tmp` next to it (Pulumi sets no_tmp_dir), then fileblob writes the metadata
// sidecar `<file>.attrs` by truncating it and writing it, then renames the temporary file over
// `<file>`. A kill inside the sidecar write leaves it empty or cut short, and every later
// command fails with "failed to load checkpoint: EOF"; the checkpoint in place is then the
// previous one, and the complete new one is still in its `.tmp`. A killed CLI also leaves its
// lock, and every later command fails with "the stack is currently locked".
//
// The repair, only when no live process may be writing (every lock of the stack taken on this
// host by a process that is gone):
// - a sidecar of the stack that is not JSON is removed: fileblob reads a missing sidecar as
//   default attributes (sizes and times come from the file itself, nothing checks its MD5);
// - when it was a checkpoint's, the newest complete `.tmp` of that checkpoint written after it
//   is put in its place (the rename the kill prevented), so the state is not one write behind;
// - the dead processes' lock files are removed (only those checked, not every lock).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Lock {
    file: string;
    pid?: number;
    hostname?: string;
}

/** The `.pulumi` directory of a file:// backend URL as Pulumi reads it, or undefined for another backend. */
export function backendBookkeepingDir(url: string, home = os.homedir()): string | undefined {
    if (!url.startsWith("file://")) return undefined;
    let dir = url.slice("file://".length).split("?")[0];
    if (dir === "~" || dir.startsWith("~/")) dir = path.join(home, dir.slice(1));
    return path.join(dir, ".pulumi");
}

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
export function processRuns(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Whether a lock's holder is certainly gone: taken on this host by a process that no longer runs.
 * A lock that cannot be read, or was taken elsewhere, cannot be judged, so it is not gone.
 */
export function lockHolderGone(lock: Lock, here: string, runs: (pid: number) => boolean): boolean {
    if (lock.pid === undefined || !Number.isInteger(lock.pid) || lock.pid <= 0) return false;
    if (lock.hostname !== here) return false;
    return !runs(lock.pid);
}

/** Whether a sidecar's text is whole (fileblob writes one JSON object). */
export function sidecarWhole(text: string): boolean {
    try {
        const v: unknown = JSON.parse(text);
        return typeof v === "object" && v !== null;
    } catch {
        return false;
    }
}

/** Whether a name in a stacks directory is a file of STACK (its checkpoint, backup, tags) with a sidecar. */
export function isStackSidecar(name: string, stack: string): boolean {
    if (!name.startsWith(`${stack}.`) || !name.endsWith(".attrs")) return false;
    const rest = name.slice(stack.length + 1, -".attrs".length);
    return /^(json|pulumi-tags)(\.|$)/.test(rest);
}

/** Where STACK's files live under `.pulumi`, in the layout the backend's meta.yaml names. */
export function stackPlaces(
    root: string,
    project: string,
    stack: string,
): { stacksDir: string; lockDir: string; ownDirs: string[] } {
    let version = 0;
    try {
        const m = /^version:\s*(\d+)/m.exec(fs.readFileSync(path.join(root, "meta.yaml"), "utf8"));
        version = m ? Number(m[1]) : 0;
    } catch {
        // no meta.yaml: the legacy layout
    }
    const scoped = version >= 1 ? [project, stack] : [stack];
    const lockDir = path.join(root, "locks", ...(version >= 1 ? ["organization", project, stack] : [stack]));
    return {
        stacksDir: path.join(root, "stacks", ...(version >= 1 ? [project] : [])),
        lockDir,
        ownDirs: [lockDir, path.join(root, "history", ...scoped), path.join(root, "backups", ...scoped)],
    };
}

function filesIn(dir: string): string[] {
    try {
        return fs
            .readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name);
    } catch {
        return [];
    }
}

function readLock(file: string): Lock {
    try {
        const l = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown; hostname?: unknown };
        return {
            file,
            pid: typeof l.pid === "number" ? l.pid : undefined,
            hostname: typeof l.hostname === "string" ? l.hostname : undefined,
        };
    } catch {
        return { file };
    }
}

/** The newest complete `.tmp` of checkpoint `file` written after it (or undefined). */
function pendingCheckpoint(file: string): string | undefined {
    const dir = path.dirname(file);
    const base = path.basename(file);
    let after = 0;
    try {
        after = fs.statSync(file).mtimeMs;
    } catch {
        // no checkpoint in place: any complete .tmp is newer
    }
    const candidates = filesIn(dir)
        .filter((n) => n.startsWith(`${base}.`) && /^[0-9a-f]+\.tmp$/.test(n.slice(base.length + 1)))
        .map((n) => ({ file: path.join(dir, n), mtime: fs.statSync(path.join(dir, n)).mtimeMs }))
        .filter((c) => c.mtime >= after)
        .sort((a, b) => b.mtime - a.mtime);
    for (const c of candidates) {
        try {
            const v = JSON.parse(fs.readFileSync(c.file, "utf8")) as { version?: unknown; checkpoint?: unknown };
            if (typeof v.version === "number" && typeof v.checkpoint === "object" && v.checkpoint !== null)
                return c.file;
        } catch {
            // cut short: the kill came while it was written, before its sidecar
        }
    }
    return undefined;
}

/**
 * Repairs what a killed CLI left for STACK in the backend whose `.pulumi` directory is `root`,
 * and returns one sentence per thing done (nothing when there was nothing to do, or when a
 * live process, or one on another host, holds a lock of the stack).
 */
export function recoverState(
    root: string,
    project: string,
    stack: string,
    here = os.hostname(),
    runs: (pid: number) => boolean = processRuns,
): string[] {
    if (!fs.existsSync(root)) return [];
    const places = stackPlaces(root, project, stack);
    const locks = filesIn(places.lockDir)
        .filter((n) => n.endsWith(".json"))
        .map((n) => readLock(path.join(places.lockDir, n)));
    if (!locks.every((l) => lockHolderGone(l, here, runs))) return [];

    const done: string[] = [];
    const sidecars = [
        path.join(root, "meta.yaml.attrs"),
        ...filesIn(places.stacksDir)
            .filter((n) => isStackSidecar(n, stack))
            .map((n) => path.join(places.stacksDir, n)),
        ...places.ownDirs.flatMap((d) =>
            filesIn(d)
                .filter((n) => n.endsWith(".attrs"))
                .map((n) => path.join(d, n)),
        ),
    ];
    for (const sidecar of sidecars) {
        let text: string;
        try {
            text = fs.readFileSync(sidecar, "utf8");
        } catch {
            continue; // none: nothing to repair
        }
        if (sidecarWhole(text)) continue;
        const file = sidecar.slice(0, -".attrs".length);
        const pending =
            path.dirname(file) === places.stacksDir && file.endsWith(".json") ? pendingCheckpoint(file) : undefined;
        fs.rmSync(sidecar, { force: true });
        if (pending) {
            fs.renameSync(pending, file);
            done.push(
                `${sidecar} was cut short by a kill between writing the new checkpoint and putting it in place; removed it, and put the new checkpoint (${path.basename(pending)}) in place of ${path.basename(file)}.`,
            );
        } else {
            done.push(
                `${sidecar} is empty or cut short (a pulumi process was killed while writing it); removed it, the file it describes is whole.`,
            );
        }
    }
    for (const lock of locks) {
        fs.rmSync(lock.file, { force: true });
        fs.rmSync(`${lock.file}.attrs`, { force: true });
        done.push(
            `stack "${stack}" was locked by a pulumi process that no longer runs (pid ${lock.pid}, killed?); removed the stale lock ${path.basename(lock.file)}.`,
        );
    }
    return done;
}

if (require.main === module) {
    const [stack, project = "burrow"] = process.argv.slice(2);
    if (!stack) {
        console.error("usage: scripts/recover-state STACK [PROJECT]");
        process.exit(2);
    }
    const root = backendBookkeepingDir(process.env.PULUMI_BACKEND_URL ?? "");
    if (root) for (const line of recoverState(root, project, stack)) console.error(`burrow: ${line}`);
}
