// The peer most users pick instead of burrow: an Ansible playbook doing the same job as
// burrow's SSH target with the community.rabbitmq collection that PyPI's `ansible` bundles.
// Ansible is installed from PyPI into a venv of this checkout (.toolchain/), never from
// Galaxy. Its settings are the fast ones users are told to turn on (SSH pipelining and a
// persistent connection), so the comparison is with Ansible at its best.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./proc";
import { ROOT } from "./user-stack";

export const ANSIBLE_VERSION = "12.3.0";

/** The venv's directory, made once (a minute or two: pip downloads ansible and its collections); `installed`: made now. */
export async function ansibleVenv(): Promise<{ dir: string; installed: boolean }> {
    const toolchain = process.env.BURROW_TOOLCHAIN ?? path.join(ROOT, ".toolchain");
    const dir = path.join(toolchain, `ansible-${ANSIBLE_VERSION}`);
    const done = path.join(dir, ".complete");
    if (fs.existsSync(done)) return { dir, installed: false };
    const py = await run("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).catch(() => {
        throw new Error(
            "bench: the Ansible peer needs python3 (>= 3.11 for ansible 12): install python3 and python3-venv",
        );
    });
    const [major, minor] = py.stdout.trim().split(".").map(Number);
    if (major < 3 || (major === 3 && minor < 11))
        throw new Error(`bench: ansible ${ANSIBLE_VERSION} needs Python >= 3.11; python3 here is ${py.stdout.trim()}`);
    // A venv records its own path in its scripts: made where it stays, marked complete last.
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`bench: installing ansible ${ANSIBLE_VERSION} from PyPI into ${path.relative(ROOT, dir)} (once)...`);
    await run("python3", ["-m", "venv", dir]);
    await run(path.join(dir, "bin/pip"), ["install", "--quiet", `ansible==${ANSIBLE_VERSION}`], {
        timeoutMs: 15 * 60_000,
    });
    fs.writeFileSync(done, `ansible==${ANSIBLE_VERSION}\n`);
    return { dir, installed: true };
}

export const QUEUES = Array.from({ length: 10 }, (_, i) => `q${i}`);

/**
 * What burrow's SSH target does, as a playbook: Erlang and rabbitmq-server from the Debian
 * archive, the service started, the management plugin, an admin user with tags and
 * permissions, no guest, 10 durable queues. A minimal Debian host has no Python, which
 * Ansible's modules need: the first task installs it (with requests, which the
 * rabbitmq_queue module uses) the way Ansible's docs say, with `raw`.
 */
export function playbook(): string {
    return `- name: RabbitMQ broker, the job burrow's SSH target does
  hosts: broker
  gather_facts: false
  vars:
    admin_password: "{{ lookup('ansible.builtin.env', 'BENCH_ADMIN_PASSWORD') }}"
  tasks:
    - name: Python for Ansible's modules (a minimal Debian host has none)
      ansible.builtin.raw: >-
        if python3 -c 'import requests' 2>/dev/null; then echo present; else
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
        python3 python3-requests >/dev/null && echo installed; fi
      register: python
      changed_when: "'installed' in python.stdout"

    - name: Erlang and RabbitMQ from the Debian archive
      ansible.builtin.apt:
        name: [erlang-nox, rabbitmq-server]
        install_recommends: false
        update_cache: true
        cache_valid_time: 3600

    - name: rabbitmq-server is running
      ansible.builtin.service:
        name: rabbitmq-server
        state: started

    - name: Management plugin
      community.rabbitmq.rabbitmq_plugin:
        names: rabbitmq_management
        state: enabled

    - name: Admin user with tags and permissions
      community.rabbitmq.rabbitmq_user:
        user: admin
        password: "{{ admin_password }}"
        tags: administrator
        vhost: /
        configure_priv: .*
        read_priv: .*
        write_priv: .*
        state: present
      no_log: true

    - name: No guest user
      community.rabbitmq.rabbitmq_user:
        user: guest
        state: absent

    - name: Management API answers (the queue module talks to it)
      ansible.builtin.uri:
        url: http://localhost:15672/api/overview
        user: admin
        password: "{{ admin_password }}"
        force_basic_auth: true
      register: api
      until: api.status == 200
      retries: 60
      delay: 1
      no_log: true

    - name: Queues
      community.rabbitmq.rabbitmq_queue:
        name: "{{ item }}"
        durable: true
        login_user: admin
        login_password: "{{ admin_password }}"
      loop: ${JSON.stringify(QUEUES)}
`;
}

/** The counts of the PLAY RECAP line of one host: ok, changed, failed, ... */
export function recap(output: string): Record<string, number> {
    const line = output.split("\n").find((l) => /^\S+\s+:\s+ok=\d+/.test(l));
    if (!line) throw new Error(`no PLAY RECAP in the ansible-playbook output:\n${output.slice(-2000)}`);
    return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/** Per-task seconds from the profile_tasks callback ("Task name ---- 12.34s"), in order. */
export function taskTimes(output: string): Array<{ task: string; s: number }> {
    const at = output.lastIndexOf("===============================================================================");
    if (at < 0) return [];
    return [...output.slice(at).matchAll(/^(.+?) -{3,} (\d+\.\d+)s$/gm)].map((m) => ({
        task: m[1].trim(),
        s: Number(m[2]),
    }));
}

export interface AnsibleHost {
    sshPort: number;
    hostKey: string;
    privateKey: string;
}

/** A directory with the inventory, key, known_hosts, ansible.cfg and playbook; `stop` ends the SSH master it leaves. */
export function ansibleProject(host: AnsibleHost) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-bench-ansible-"));
    const key = path.join(dir, "id"),
        known = path.join(dir, "known_hosts"),
        cp = path.join(dir, "cp");
    fs.mkdirSync(cp);
    fs.writeFileSync(key, host.privateKey.trimEnd() + "\n", { mode: 0o600 });
    // The host key pinned, as burrow pins it: no trust on first use.
    fs.writeFileSync(known, `[127.0.0.1]:${host.sshPort} ${host.hostKey.split(/\s+/).slice(0, 2).join(" ")}\n`);
    fs.writeFileSync(
        path.join(dir, "inventory.ini"),
        `[broker]\nhost ansible_host=127.0.0.1 ansible_port=${host.sshPort} ansible_user=root ansible_ssh_private_key_file=${key}\n`,
    );
    fs.writeFileSync(
        path.join(dir, "ansible.cfg"),
        `[defaults]
host_key_checking = True
interpreter_python = /usr/bin/python3
callbacks_enabled = ansible.posix.profile_tasks
retry_files_enabled = False
nocows = True

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${known} -o IdentitiesOnly=yes
control_path = ${cp}/%%C
`,
    );
    fs.writeFileSync(path.join(dir, "playbook.yml"), playbook());
    return {
        dir,
        /** Runs the playbook; the admin password travels in the environment, never in argv. */
        async play(venv: string, adminPassword: string) {
            const r = await run(path.join(venv, "bin/ansible-playbook"), ["-i", "inventory.ini", "playbook.yml"], {
                cwd: dir,
                env: {
                    ...process.env,
                    PATH: `${path.join(venv, "bin")}:${process.env.PATH}`,
                    ANSIBLE_CONFIG: path.join(dir, "ansible.cfg"),
                    ANSIBLE_FORCE_COLOR: "0",
                    BENCH_ADMIN_PASSWORD: adminPassword,
                },
                timeoutMs: 20 * 60_000,
            });
            return { ms: r.ms, cpuMs: r.cpuMs, recap: recap(r.stdout), tasks: taskTimes(r.stdout), output: r.stdout };
        },
        async stop() {
            for (const socket of fs.readdirSync(cp))
                await run("ssh", ["-O", "exit", "-o", `ControlPath=${path.join(cp, socket)}`, "host"]).catch(
                    () => undefined,
                );
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
