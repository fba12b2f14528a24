// How long apt's install transactions took on a host: both burrow and Ansible install the same
// packages from the same mirror, so this is the part of their time that is the same job.
/** The seconds apt's install transactions took on a host, from its /var/log/apt/history.log. */
export function aptSeconds(history: string): Array<{ command: string; s: number }> {
    const date = (t: string) => Date.parse(t.trim().replace(/\s+/, "T") + "Z");
    return history
        .split(/\n\s*\n/)
        .map((entry) => ({
            start: /^Start-Date: (.+)$/m.exec(entry)?.[1],
            end: /^End-Date: (.+)$/m.exec(entry)?.[1],
            command: /^Commandline: (.+)$/m.exec(entry)?.[1] ?? "",
        }))
        .filter((e) => e.start && e.end)
        .map((e) => ({ command: e.command, s: (date(e.end!) - date(e.start!)) / 1000 }));
}
