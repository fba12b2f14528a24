// lib/state-recovery.ts: its rules, and the repair on a backend laid out as Pulumi lays it out
// (real files in a temporary directory; the real CLI reads the result in
// test/integration/recover-state.test.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    backendBookkeepingDir,
    isStackSidecar,
    lockHolderGone,
    recoverState,
    sidecarWhole,
} from "../../lib/state-recovery";

const HERE = "this-host";
const SIDECAR = JSON.stringify({ "user.content_type": "application/json", md5: "x" });
const checkpoint = (marker: string) => JSON.stringify({ version: 3, checkpoint: { stack: marker, latest: null } });

describe("the rules", () => {
    it("reads a file:// URL as Pulumi does: query dropped, ~ expanded; another backend is not a directory", () => {
        expect(backendBookkeepingDir("file:///var/state")).toBe("/var/state/.pulumi");
        expect(backendBookkeepingDir("file:///var/my state?no_tmp_dir=true")).toBe("/var/my state/.pulumi");
        expect(backendBookkeepingDir("file://~/st", "/home/u")).toBe("/home/u/st/.pulumi");
        expect(backendBookkeepingDir("s3://bucket")).toBeUndefined();
        expect(backendBookkeepingDir("https://api.pulumi.com")).toBeUndefined();
    });

    it("judges a lock's holder gone only when it was taken here by a process that no longer runs", () => {
        const runs = (pid: number) => pid === 42;
        expect(lockHolderGone({ file: "l", pid: 7, hostname: HERE }, HERE, runs)).toBe(true);
        expect(lockHolderGone({ file: "l", pid: 42, hostname: HERE }, HERE, runs)).toBe(false);
        expect(lockHolderGone({ file: "l", pid: 7, hostname: "elsewhere" }, HERE, runs)).toBe(false);
        expect(lockHolderGone({ file: "l" }, HERE, runs)).toBe(false); // unreadable: cannot tell
        expect(lockHolderGone({ file: "l", pid: 0, hostname: HERE }, HERE, runs)).toBe(false);
    });

    it("takes a sidecar as whole only when it is a JSON object", () => {
        expect(sidecarWhole(SIDECAR)).toBe(true);
        expect(sidecarWhole("")).toBe(false);
        expect(sidecarWhole(SIDECAR.slice(0, 20))).toBe(false);
        expect(sidecarWhole("null")).toBe(false);
    });

    it("knows a stack's own files from another stack's whose name starts the same", () => {
        expect(isStackSidecar("dev.json.attrs", "dev")).toBe(true);
        expect(isStackSidecar("dev.json.bak.attrs", "dev")).toBe(true);
        expect(isStackSidecar("dev.json.gz.attrs", "dev")).toBe(true);
        expect(isStackSidecar("dev.pulumi-tags.attrs", "dev")).toBe(true);
        expect(isStackSidecar("dev.x.json.attrs", "dev")).toBe(false);
        expect(isStackSidecar("dev-2.json.attrs", "dev")).toBe(false);
        expect(isStackSidecar("dev.json", "dev")).toBe(false);
    });
});

describe("recoverState on a project-layout backend", () => {
    let root: string;
    const stacks = () => path.join(root, "stacks", "burrow");
    const locks = (stack: string) => path.join(root, "locks", "organization", "burrow", stack);
    const write = (file: string, text: string, mtime?: Date) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        if (mtime) fs.utimesSync(file, mtime, mtime);
    };
    const lock = (stack: string, pid: number, hostname = HERE) => {
        const file = path.join(locks(stack), `${pid}-${hostname}.json`);
        write(file, JSON.stringify({ pid, username: "u", hostname, timestamp: new Date().toISOString() }));
        write(`${file}.attrs`, SIDECAR);
        return file;
    };
    const runs = (pid: number) => pid === 4242;
    const t = (s: number) => new Date(Date.UTC(2026, 10, 29, 12, 0, s));

    beforeEach(() => {
        // A space in the path, and a parent directory named like the stack and the project.
        root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "burrow state ")), "dev", "burrow", ".pulumi");
        write(path.join(root, "meta.yaml"), "version: 1\n");
        write(path.join(root, "meta.yaml.attrs"), SIDECAR);
        for (const s of ["dev", "dev.x", "burrow"]) {
            write(path.join(stacks(), `${s}.json`), checkpoint(s), t(10));
            write(path.join(stacks(), `${s}.json.attrs`), SIDECAR);
            write(path.join(root, "history", "burrow", s, `${s}-1.history.json`), "{}");
            write(path.join(root, "history", "burrow", s, `${s}-1.history.json.attrs`), SIDECAR);
        }
    });
    afterEach(() => fs.rmSync(path.dirname(path.dirname(path.dirname(root))), { recursive: true, force: true }));

    it("does nothing on a sound backend", () => {
        expect(recoverState(root, "burrow", "dev", HERE, runs)).toEqual([]);
    });

    it("removes the stack's torn sidecars (checkpoint, history) and its dead lock; no other stack's file", () => {
        write(path.join(stacks(), "dev.json.attrs"), "");
        write(path.join(root, "history", "burrow", "dev", "dev-1.history.json.attrs"), '{"user.co');
        write(path.join(stacks(), "dev.x.json.attrs"), ""); // another stack's: not ours to judge
        write(path.join(root, "history", "burrow", "burrow", "burrow-1.history.json.attrs"), "");
        const dead = lock("dev", 7);
        const otherLive = lock("dev.x", 4242);

        const done = recoverState(root, "burrow", "dev", HERE, runs);
        expect(done).toHaveLength(3);
        expect(done.join("\n")).toMatch(/dev\.json\.attrs is empty or cut short/);
        expect(done.join("\n")).toMatch(/dev-1\.history\.json\.attrs is empty or cut short/);
        expect(done.join("\n")).toMatch(/pid 7.*removed the stale lock/);
        expect(fs.existsSync(path.join(stacks(), "dev.json.attrs"))).toBe(false);
        expect(fs.readFileSync(path.join(stacks(), "dev.json"), "utf8")).toBe(checkpoint("dev"));
        expect(fs.existsSync(dead)).toBe(false);
        expect(fs.existsSync(`${dead}.attrs`)).toBe(false);
        // Untouched: the other stacks' torn sidecars and a live process's lock of another stack.
        expect(fs.readFileSync(path.join(stacks(), "dev.x.json.attrs"), "utf8")).toBe("");
        expect(
            fs.readFileSync(path.join(root, "history", "burrow", "burrow", "burrow-1.history.json.attrs"), "utf8"),
        ).toBe("");
        expect(fs.existsSync(otherLive)).toBe(true);
    });

    it("puts in place the complete new checkpoint the kill kept in its .tmp, not an older or a cut one", () => {
        write(path.join(stacks(), "dev.json.attrs"), "");
        write(path.join(stacks(), "dev.json.aaaa.tmp"), checkpoint("older"), t(5)); // before the one in place
        write(path.join(stacks(), "dev.json.bbbb.tmp"), checkpoint("newest"), t(20));
        write(path.join(stacks(), "dev.json.cccc.tmp"), checkpoint("cut").slice(0, 15), t(30)); // cut short
        const done = recoverState(root, "burrow", "dev", HERE, runs);
        expect(done).toHaveLength(1);
        expect(done[0]).toMatch(/put the new checkpoint \(dev\.json\.bbbb\.tmp\) in place of dev\.json/);
        expect(fs.readFileSync(path.join(stacks(), "dev.json"), "utf8")).toBe(checkpoint("newest"));
        expect(fs.existsSync(path.join(stacks(), "dev.json.bbbb.tmp"))).toBe(false);
        expect(fs.existsSync(path.join(stacks(), "dev.json.attrs"))).toBe(false);
    });

    it("leaves a checkpoint with a whole sidecar alone, whatever .tmp lies beside it", () => {
        write(path.join(stacks(), "dev.json.bbbb.tmp"), checkpoint("newer"), t(20));
        expect(recoverState(root, "burrow", "dev", HERE, runs)).toEqual([]);
        expect(fs.readFileSync(path.join(stacks(), "dev.json"), "utf8")).toBe(checkpoint("dev"));
    });

    it("touches nothing while a live process, or one on another host, or an unreadable lock holds the stack", () => {
        write(path.join(stacks(), "dev.json.attrs"), "");
        for (const holder of [
            () => lock("dev", 4242),
            () => lock("dev", 7, "elsewhere"),
            () => {
                const f = path.join(locks("dev"), "unreadable.json");
                write(f, "");
                return f;
            },
        ]) {
            const dead = lock("dev", 7);
            const held = holder();
            expect(recoverState(root, "burrow", "dev", HERE, runs)).toEqual([]);
            expect(fs.readFileSync(path.join(stacks(), "dev.json.attrs"), "utf8")).toBe("");
            expect(fs.existsSync(dead)).toBe(true);
            expect(fs.existsSync(held)).toBe(true);
            fs.rmSync(locks("dev"), { recursive: true });
        }
    });
});

describe("recoverState on a legacy-layout backend (no meta.yaml)", () => {
    it("finds the stack's files at the top of stacks/, locks/ and history/", () => {
        const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "burrow-legacy-")), ".pulumi");
        try {
            fs.mkdirSync(path.join(root, "stacks"), { recursive: true });
            fs.writeFileSync(path.join(root, "stacks", "dev.json"), checkpoint("dev"));
            fs.writeFileSync(path.join(root, "stacks", "dev.json.attrs"), "");
            fs.mkdirSync(path.join(root, "locks", "dev"), { recursive: true });
            fs.writeFileSync(path.join(root, "locks", "dev", "l.json"), JSON.stringify({ pid: 7, hostname: HERE }));
            const done = recoverState(root, "burrow", "dev", HERE, () => false);
            expect(done).toHaveLength(2);
            expect(fs.existsSync(path.join(root, "stacks", "dev.json.attrs"))).toBe(false);
            expect(fs.existsSync(path.join(root, "locks", "dev", "l.json"))).toBe(false);
        } finally {
            fs.rmSync(path.dirname(root), { recursive: true, force: true });
        }
    });
});
