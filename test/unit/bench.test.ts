// The bench's own parsing: what a wrong reading would silently turn into a wrong figure
// (an up that changed things counted as a no-op, a failed Ansible task as done, a plugin's
// memory filed under "other", a ratio taken against the wrong row).
import { describe, expect, it } from "vitest";
import { recap, taskTimes } from "../../bench/ansible";
import { aptSeconds } from "../../bench/apt-history";
import { hwmKiB, roleOf } from "../../bench/memory";
import { Report, chart, stats } from "../../bench/report";
import { changesIn } from "../../bench/user-stack";

describe("changesIn (what a pulumi up reported changing)", () => {
    it("finds every kind of change in the summary", () => {
        const out = `Resources:\n    + 13 created\n    ~ 1 updated\n    - 2 deleted\n    +-1 replaced\n    3 unchanged\n\nDuration: 8s\n`;
        expect(changesIn(out)).toEqual(["13 created", "1 updated", "2 deleted", "1 replaced"]);
    });
    it("finds nothing in a no-op", () => {
        expect(changesIn("Resources:\n    14 unchanged\n\nDuration: 2s\n")).toEqual([]);
    });
});

describe("Ansible output", () => {
    const out = `PLAY RECAP *********************************************************************
host                       : ok=8    changed=7    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0

Saturday 29 November 2026  15:08:00 +0000 (0:00:03.190)       0:02:28.000 ****
===============================================================================
Erlang and RabbitMQ from the Debian archive ---------------------------- 47.72s
Python for Ansible's modules (a minimal Debian host has none) ---------- 39.70s
Queues ------------------------------------------------------------------ 1.05s
`;
    it("reads the recap counts", () => {
        expect(recap(out)).toMatchObject({ ok: 8, changed: 7, failed: 0, unreachable: 0 });
    });
    it("refuses output without a recap (a playbook that never ran)", () => {
        expect(() => recap("ERROR! the playbook could not be found")).toThrow(/no PLAY RECAP/);
    });
    it("reads the per-task times", () => {
        expect(taskTimes(out)).toEqual([
            { task: "Erlang and RabbitMQ from the Debian archive", s: 47.72 },
            { task: "Python for Ansible's modules (a minimal Debian host has none)", s: 39.7 },
            { task: "Queues", s: 1.05 },
        ]);
    });
});

it("aptSeconds: each install transaction's duration from apt's history", () => {
    const log = `
Start-Date: 2026-11-29  15:06:01
Commandline: apt-get install -y -qq --no-install-recommends erlang-nox rabbitmq-server
Install: rabbitmq-server:amd64 (4.0.5-6+deb13u2)
End-Date: 2026-11-29  15:06:37

Start-Date: 2026-11-29  15:07:00
Install: python3-apt:amd64 (2.9.0)
End-Date: 2026-11-29  15:07:04
`;
    expect(aptSeconds(log)).toEqual([
        { command: "apt-get install -y -qq --no-install-recommends erlang-nox rabbitmq-server", s: 36 },
        { command: "", s: 4 },
    ]);
});

describe("memory roles", () => {
    it("names each process of a pulumi run", () => {
        expect(roleOf(["/w/.toolchain/bin/pulumi", "up", "--yes"])).toBe("cli");
        expect(roleOf(["/w/.toolchain/bin/pulumi-language-nodejs", "127.0.0.1:1"])).toBe("language host");
        expect(roleOf(["/w/bin/node", "--x", "/w/node_modules/@pulumi/pulumi/cmd/run", "--monitor", "a"])).toBe(
            "program",
        );
        expect(roleOf(["/bin/sh", "/w/.toolchain/bin/pulumi-resource-pulumi-nodejs", "127.0.0.1:1"])).toBe("plugin");
        expect(roleOf(["node", "--require", "w.js", "./node_modules/@pulumi/pulumi/cmd/dynamic-provider"])).toBe(
            "plugin",
        );
        expect(roleOf(["docker", "image", "inspect", "x"])).toBe("other");
    });
    it("reads VmHWM", () => {
        expect(hwmKiB("Name:\tnode\nVmPeak:\t 900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1 kB\n")).toBe(204800);
        expect(hwmKiB("Name:\tkthreadd\n")).toBeUndefined();
    });
});

describe("report", () => {
    it("takes the median of an even count as the mean of the middle two", () => {
        expect(stats([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    });
    it("compares a row with the row it names, and draws them together", () => {
        const r = new Report();
        r.add({ id: "floor", name: "floor", kind: "floor", runs: [4, 5, 6] });
        r.add({ id: "other", name: "other", kind: "burrow", runs: [100] });
        const up = r.add({ id: "up", name: "up", kind: "burrow", runs: [6, 6.5, 7], vs: "floor" });
        expect(r.ratio(up)).toBe("1.30x the floor");
        const svg = chart(r, "2 cores");
        // The floor and the up next to each other, the unrelated row after them.
        expect(svg.indexOf(">floor<")).toBeLessThan(svg.indexOf(">up<"));
        expect(svg.indexOf(">up<")).toBeLessThan(svg.indexOf(">other<"));
        expect(svg).toContain("1.30x the floor");
    });
});
