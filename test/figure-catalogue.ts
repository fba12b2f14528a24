// The catalogue of figures the proof tests measure and the shape of their records, apart
// from test/figures.ts (which needs vitest) so that scripts/report.ts can read it.
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export const FIGURES_FILE = path.join(PROJECT_ROOT, ".toolchain/logs/figures.jsonl");

/** Every figure the README shows, with what it counts; a figure not measured in a run shows as missing. */
export const FIGURES = {
    "bad-input.configurations-rejected": "malformed configurations parseSettings rejected, of those tried",
    "persistence.keep-classic.confirmed":
        "persistent messages the broker confirmed (publisher confirms), of those sent",
    "persistence.keep-classic.received": "distinct confirmed messages consumed after the container was replaced",
    "persistence.keep-classic.lost": "confirmed messages neither consumed nor left in the queue",
    "persistence.keep-classic.duplicated": "extra deliveries of a message already consumed",
    "persistence.keep-quorum.confirmed": "persistent messages the broker confirmed, of those sent",
    "persistence.keep-quorum.received": "distinct confirmed messages consumed after the container was replaced",
    "persistence.keep-quorum.lost": "confirmed messages neither consumed nor left in the queue",
    "persistence.keep-quorum.duplicated": "extra deliveries of a message already consumed",
    "persistence.container-replaced": "broker containers whose Docker id changed across the plugin change, of 1",
    "cluster.confirmed": "messages confirmed by the 3-node cluster (quorum queue), of those sent",
    "cluster.received": "distinct confirmed messages consumed across the node stop and restart",
    "cluster.lost": "confirmed messages neither consumed nor left in the queue",
    "cluster.duplicated": "extra deliveries of a message already consumed",
    "cluster.node-rejoin-seconds": "seconds from `docker start` of the stopped node to 3 running nodes in the API",
    "cluster.scale-out.running-nodes-restarted":
        "nodes 1-3 whose container id, start time or node uptime reset when node 4 was added, of 3",
    "faults.container-killed.messages-kept": "confirmed persistent messages found after kill + up, of those sent",
    "faults.container-killed.recovery-seconds": "seconds of the `up` that restored the killed container",
    "faults.dockerd-restart.messages-kept":
        "confirmed persistent messages found after the engine restart, of those sent",
    "faults.dockerd-restart.recovery-seconds": "seconds from the engine's restart to a passing smoke test",
    "faults.dockerd-restart.shared-containers-restarted":
        "containers of the machine's shared engine whose start time changed during the test, of those running",
    "faults.sigint.pending-operations-after-interrupt": "pending operations in the state right after Ctrl-C",
    "faults.sigint.orphans-after-recovery":
        "Docker objects labelled with the stack but not in its state, after the next up",
    "faults.port-taken.objects-left": "containers of the stack left after the failed up",
    "faults.port-taken.seconds-to-error": "seconds until `up` failed with the port and key named",
    "security.ports-beyond-loopback": "listening sockets on the broker's ports bound beyond 127.0.0.1/::1, of ports",
    "security.guest-refused": "guest logins refused (HTTP API, AMQP), of attempts",
    "security.narrow-user-refused": "actions outside the user's permission patterns refused, of attempts",
    "security.secrets-leaked": "secrets found in plain text in state files, CLI or preview output, of secrets searched",
    "security.tls.untrusted-clients-refused":
        "TLS clients without the stack's CA (none, another CA) that refused the broker, of 2",
    "security.tls.secrets-leaked": "of the TLS server key, admin password and Erlang cookie: those found in plain text",
    "security.tls.plain-listeners-open": "plain ports (5672, 15672) accepting TCP inside the TLS-only container, of 2",
    "security.ssh.private-key-leaked": "key-specific lines of the SSH private key found in state or output, of lines",
    "security.ssh-tunnel.answers-from-outside":
        "broker ports answering through the host's published ports when tunnelled, of 2",
    "security.ssh-tunnel.listeners-beyond-loopback":
        "host sockets listening on 5672/15672 beyond loopback when tunnelled",
    "admin.rabbitmqctl-users-made":
        "admin users that log in after being made on a node without boot definitions (by `rabbitmqctl eval`): the first and a renamed one, of 2",
    "day2.admin-password-rotated-to-1.confirmed":
        "messages confirmed before the admin password rotated (first time), of those sent",
    "day2.admin-password-rotated-to-1.lost":
        "confirmed messages not consumed after the admin password rotated (first time)",
    "day2.admin-password-rotated-to-1.duplicated":
        "extra deliveries of a message after the admin password rotated (first time)",
    "day2.admin-password-rotated-to-1.redelivered-earlier":
        "messages acked before this change that came back after the admin password rotated (first time)",
    "day2.admin-password-rotated-to-1.left":
        "messages left in the queues after draining, after the admin password rotated (first time)",
    "day2.admin-password-rotated-to-2.confirmed":
        "messages confirmed before the admin password rotated again, of those sent",
    "day2.admin-password-rotated-to-2.lost": "confirmed messages not consumed after the admin password rotated again",
    "day2.admin-password-rotated-to-2.duplicated":
        "extra deliveries of a message after the admin password rotated again",
    "day2.admin-password-rotated-to-2.redelivered-earlier":
        "messages acked before this change that came back after the admin password rotated again",
    "day2.admin-password-rotated-to-2.left":
        "messages left in the queues after draining, after the admin password rotated again",
    "day2.user-password-rotated.confirmed": "messages confirmed before a user's password rotated, of those sent",
    "day2.user-password-rotated.lost": "confirmed messages not consumed after a user's password rotated",
    "day2.user-password-rotated.duplicated": "extra deliveries of a message after a user's password rotated",
    "day2.user-password-rotated.redelivered-earlier":
        "messages acked before this change that came back after a user's password rotated",
    "day2.user-password-rotated.left": "messages left in the queues after draining, after a user's password rotated",
    "day2.plugin-added.confirmed":
        "messages confirmed before a plugin added (a new container on the same data), of those sent",
    "day2.plugin-added.lost": "confirmed messages not consumed after a plugin added (a new container on the same data)",
    "day2.plugin-added.duplicated":
        "extra deliveries of a message after a plugin added (a new container on the same data)",
    "day2.plugin-added.redelivered-earlier":
        "messages acked before this change that came back after a plugin added (a new container on the same data)",
    "day2.plugin-added.left":
        "messages left in the queues after draining, after a plugin added (a new container on the same data)",
    "day2.memory-limit-changed.confirmed":
        "messages confirmed before the memory limit changed (a new container), of those sent",
    "day2.memory-limit-changed.lost":
        "confirmed messages not consumed after the memory limit changed (a new container)",
    "day2.memory-limit-changed.duplicated":
        "extra deliveries of a message after the memory limit changed (a new container)",
    "day2.memory-limit-changed.redelivered-earlier":
        "messages acked before this change that came back after the memory limit changed (a new container)",
    "day2.memory-limit-changed.left":
        "messages left in the queues after draining, after the memory limit changed (a new container)",
    "day2.port-taken-refused.confirmed":
        "messages confirmed before a new amqpPort that another process holds, refused at preview and at up, of those sent",
    "day2.port-taken-refused.lost":
        "confirmed messages not consumed after a new amqpPort that another process holds, refused at preview and at up",
    "day2.port-taken-refused.duplicated":
        "extra deliveries of a message after a new amqpPort that another process holds, refused at preview and at up",
    "day2.port-taken-refused.redelivered-earlier":
        "messages acked before this change that came back after a new amqpPort that another process holds, refused at preview and at up",
    "day2.port-taken-refused.left":
        "messages left in the queues after draining, after a new amqpPort that another process holds, refused at preview and at up",
    "day2.port-taken-refused.broker-kept-running":
        "brokers still running (same container) after a new amqpPort that another process holds, refused at preview and at up, of 1",
    "day2.queue-argument-changed-without-consent.confirmed":
        "messages confirmed before a queue argument changed without consent (refused), of those sent",
    "day2.queue-argument-changed-without-consent.lost":
        "confirmed messages not consumed after a queue argument changed without consent (refused)",
    "day2.queue-argument-changed-without-consent.duplicated":
        "extra deliveries of a message after a queue argument changed without consent (refused)",
    "day2.queue-argument-changed-without-consent.redelivered-earlier":
        "messages acked before this change that came back after a queue argument changed without consent (refused)",
    "day2.queue-argument-changed-without-consent.left":
        "messages left in the queues after draining, after a queue argument changed without consent (refused)",
    "day2.queue-argument-changed-without-consent.refused":
        "ups refused for a queue argument change without consent, of 1",
    "day2.queue-type-changed-with-consent.confirmed":
        "messages confirmed into a queue whose type then changed with consent",
    "day2.queue-type-changed-with-consent.lost-consented": "of those, lost with consent (named in the preview)",
    "day2.queue-filled-after-preview.confirmed":
        "messages confirmed into a queue the management API still counted as empty",
    "day2.queue-filled-after-preview.lost": "of those, lost when an update tried to re-declare it (the if-empty guard)",
    "day2.topic-permission-changed.kept":
        "other topic permissions of the user kept when one changed its exchange, of 1",
    "day2.keepdata-destroy-up.confirmed": "messages confirmed before destroy with keepData, of those sent",
    "day2.keepdata-destroy-up.lost": "confirmed messages missing after destroy -> up with keepData",
    "day2.keepdata-destroy-up.duplicated": "extra deliveries after destroy -> up with keepData",
    "langhost.cli-sigkill.gone-ms":
        "ms from SIGKILL of the CLI mid-up until no language host, program or dynamic-provider plugin of that run is left",
    "smoke.memory-alarm.fail-ms": "ms until runSmoke failed naming the memory alarm (5 s step limit)",
    "smoke.memory-alarm.script-fail-ms": "ms until `npm run smoke -- --json` exited 1 naming the memory alarm",
    "smoke.memory-alarm.up-fail-ms": "ms until `pulumi up` failed at its smoke test naming the memory alarm",
    "smoke.disk-alarm.fail-ms": "ms until runSmoke failed naming the disk alarm",
    "day2.scale-1-3.published": "messages confirmed before a cluster scaled from 1 to 3 nodes",
    "day2.scale-1-3.lost": "confirmed messages not consumed after a cluster scaled from 1 to 3 nodes",
    "day2.scale-1-3.duplicated": "extra deliveries after a cluster scaled from 1 to 3 nodes",
    "day2.scale-3-2.published": "messages confirmed before a cluster scaled from 3 to 2 nodes",
    "day2.scale-3-2.lost": "confirmed messages not consumed after a cluster scaled from 3 to 2 nodes",
    "day2.scale-3-2.duplicated": "extra deliveries after a cluster scaled from 3 to 2 nodes",
    "day2.node-gone-and-restart.published":
        "messages published with confirms into the cluster's queues before node 3's container removed behind burrow's back, then an up that also restarts every node (memoryLimitMb)",
    "day2.node-gone-and-restart.lost":
        "confirmed messages not consumed after node 3's container removed behind burrow's back, then an up that also restarts every node (memoryLimitMb)",
    "day2.node-gone-and-restart.duplicated":
        "extra deliveries after node 3's container removed behind burrow's back, then an up that also restarts every node (memoryLimitMb)",
    "day2.made-outside-state.published":
        "messages published with confirms into the cluster's queues before node 3 made again outside the state (as by an interrupted up), then an up: restarted in place",
    "day2.made-outside-state.lost":
        "confirmed messages not consumed after node 3 made again outside the state (as by an interrupted up), then an up: restarted in place",
    "day2.made-outside-state.duplicated":
        "extra deliveries after node 3 made again outside the state (as by an interrupted up), then an up: restarted in place",
    "day2.replace-in-cluster.published":
        "messages confirmed before every container of a 3-node cluster replaced (a plugin added)",
    "day2.replace-in-cluster.lost":
        "confirmed messages not consumed after every container of a 3-node cluster replaced (a plugin added)",
    "day2.replace-in-cluster.duplicated":
        "extra deliveries after every container of a 3-node cluster replaced (a plugin added)",
    "day2.cluster-keepdata.published":
        "messages confirmed before a 3-node cluster destroyed with keepData and brought up again",
    "day2.cluster-keepdata.lost":
        "confirmed messages not consumed after a 3-node cluster destroyed with keepData and brought up again",
    "day2.cluster-keepdata.duplicated":
        "extra deliveries after a 3-node cluster destroyed with keepData and brought up again",
    "day2.two-owners.published": "messages confirmed before a second checkout with the same Docker names was refused",
    "day2.two-owners.lost":
        "confirmed messages not consumed after a second checkout with the same Docker names was refused",
    "day2.two-owners.duplicated": "extra deliveries after a second checkout with the same Docker names was refused",
    "ssh-day2.readdress.confirmed":
        "messages confirmed before the SSH host re-addressed (127.0.0.1 -> localhost, the same box), of those sent",
    "ssh-day2.readdress.lost":
        "confirmed messages neither consumed nor left after the SSH host re-addressed (127.0.0.1 -> localhost, the same box)",
    "ssh-day2.readdress.duplicated":
        "extra deliveries after the SSH host re-addressed (127.0.0.1 -> localhost, the same box)",
    "ssh-day2.readdress.left":
        "messages left in the queue after consuming to the count, after the SSH host re-addressed (127.0.0.1 -> localhost, the same box)",
    "ssh-day2.to-hosts.confirmed":
        "messages confirmed before one SSH host turned into ssh.hosts (a cluster of one on the same box), of those sent",
    "ssh-day2.to-hosts.lost":
        "confirmed messages neither consumed nor left after one SSH host turned into ssh.hosts (a cluster of one on the same box)",
    "ssh-day2.to-hosts.duplicated":
        "extra deliveries after one SSH host turned into ssh.hosts (a cluster of one on the same box)",
    "ssh-day2.to-hosts.left":
        "messages left in the queue after consuming to the count, after one SSH host turned into ssh.hosts (a cluster of one on the same box)",
    "ssh-day2.keepdata.confirmed":
        "messages confirmed before an SSH host destroyed with keepData and brought up again, of those sent",
    "ssh-day2.keepdata.lost":
        "confirmed messages neither consumed nor left after an SSH host destroyed with keepData and brought up again",
    "ssh-day2.keepdata.duplicated": "extra deliveries after an SSH host destroyed with keepData and brought up again",
    "ssh-day2.keepdata.left":
        "messages left in the queue after consuming to the count, after an SSH host destroyed with keepData and brought up again",
    "day2.keepdata-set-then-destroy.lost":
        "confirmed messages not consumed after `config set burrow:keepData true`, `npm run destroy` at once (no up between) and an up",
    "day2.keepdata-plain-destroy.lost":
        "confirmed messages not consumed after `config set burrow:keepData true`, a plain `pulumi destroy` at once (no up between) and an up",
    "ssh-cluster.skewed-host-started-after-s":
        "seconds host 2's RabbitMQ VM started after host 1's (real clock) when host 2's clock ran 20 s behind: its first boot waits until its own clock passes host 1's VM start",
    "ssh-cluster.keepdata.confirmed":
        "messages confirmed into a quorum queue before a 2-host SSH cluster destroyed with keepData and brought up again, of those sent",
    "ssh-cluster.keepdata.lost":
        "confirmed messages not consumed after a 2-host SSH cluster destroyed with keepData and brought up again",
    "ssh-cluster.keepdata.duplicated":
        "extra deliveries after a 2-host SSH cluster destroyed with keepData and brought up again",
    "ssh-day2.readdress.resources-replaced": "resources the up replaced when the SSH host was re-addressed (same box)",
    "ssh-day2.destroy-while-dpkg-locked.refused":
        "destroys that failed naming the host while another apt held the dpkg lock, of 1",
    "ssh-day2.destroy.others-packages-removed":
        "packages destroy removed that burrow did not install or that a later package needs (socat, netcat-openbsd, python3-six, python3), of 4",
    "ssh-day2.foreign-rabbitmq.refused": "ups refused on a host whose RabbitMQ burrow did not install, of 1",
    "ssh-day2.foreign-rabbitmq.files-changed":
        "of the foreign RabbitMQ's fingerprint (config, cookie, version, data dirs): 1 if it differed after refusal, then after adopt + destroy, of 2",
    // Issue 15: what an operator declares on a broker.
    "objects.password-hash-in-plain-text":
        "files of the backend, and the CLI output, holding a user's imported password hash in plain text",
    "objects.user-connection-limit-enforced":
        "a 4th connection refused under the user's max-connections 3 (1 = refused)",
    "objects.drifts-restored":
        "objects changed or deleted on the broker (one kind at a time) that refresh saw and up set again, of 7",
    "objects.trimming-operator-policy-refused":
        "an operator policy that would trim a queue of 50 to 10, refused at preview without consent (1 = refused)",
    "shovels.vhost-to-vhost.published": "persistent messages confirmed into the source queue, of 1,000",
    "shovels.vhost-to-vhost.moved": "distinct messages consumed from the destination queue in the other vhost",
    "shovels.vhost-to-vhost.lost": "confirmed messages never consumed from the destination",
    "shovels.vhost-to-vhost.duplicated": "extra deliveries at the destination",
    "shovels.broker-to-broker.amqp091.published": "messages confirmed into the source queue, of 1,000",
    "shovels.broker-to-broker.amqp091.moved": "distinct messages consumed on the second broker (AMQP 0-9-1 shovel)",
    "shovels.broker-to-broker.amqp091.lost": "confirmed messages never consumed on the second broker",
    "shovels.broker-to-broker.amqp091.duplicated": "extra deliveries on the second broker",
    "shovels.broker-to-broker.amqp10.published": "messages confirmed into the source queue, of 1,000",
    "shovels.broker-to-broker.amqp10.moved": "distinct messages consumed on the second broker (AMQP 1.0 shovel)",
    "shovels.broker-to-broker.amqp10.lost": "confirmed messages never consumed on the second broker",
    "shovels.broker-to-broker.amqp10.duplicated": "extra deliveries on the second broker",
    "shovels.one-shot.published": "messages parked for a one-shot (deleteAfter queue-length) shovel, of 200",
    "shovels.one-shot.moved": "distinct parked messages that reached the second broker through it and the next shovel",
    "shovels.uri-password-in-plain-text":
        "files of the backend, and the CLI output, holding the destination's password in plain text",
    "shovels.no-ack-removal-refused": "removing a no-ack shovel refused at preview without consent (1 = refused)",
    "federation.exchange.published": "messages confirmed into the upstream broker's exchange, of 1,000",
    "federation.exchange.received":
        "distinct messages consumed from the downstream queue bound to the federated exchange",
    "federation.exchange.lost": "confirmed messages never consumed downstream",
    "federation.exchange.duplicated": "extra deliveries downstream",
    "adopt.export-loaded-queues":
        "queues of the hand-made vhost a bare node holds after `rabbitmqctl import_definitions` of the export, of 5",
    "adopt.objects-not-expressed":
        "objects `npm run import` named as not expressible (the queue with an unknown argument, the admin's second vhost)",
    "adopt.kinds-changed-on-the-broker-by-adopting":
        "kinds of the broker's definitions that differ before and after the first up of the adopted config",
    "adopt.hand-made-user-logs-in-on-the-copy":
        "the user made by hand on the first broker logs in to the second with its password (1 = yes)",
    "production.docker.fd-limit":
        "open files the broker process may have (/proc/<beam pid>/limits) in Docker: 65536, or the engine's hard limit where lower",
    "production.docker.engine-fd-cap": "the Docker engine's hard open-file limit, as a container of its own sees it",
    "production.docker.disk-free-limit-bytes":
        "disk_free_limit the Docker node reports with a 1024 MB container (1.0 x memory)",
    "production.docker.mem-limit-bytes":
        "memory high watermark the Docker node reports with a 1024 MB container (0.6 x memory)",
    "production.docker.prometheus-rabbitmq-series": "rabbitmq_ series the Prometheus endpoint (metricsUrl) serves",
    "production.docker.secrets-leaked":
        "of the Erlang cookie, admin password and a user password: those found in `docker inspect` or any container process's environ/cmdline, of 3",
    "production.docker.bad-configs-refused":
        "configurations RabbitMQ's loader refuses (an advanced.config, a rabbitmq.conf value) refused at preview and up with the running container untouched, of 2",
    "production.docker.config-check-preview-seconds":
        "seconds of a preview that runs RabbitMQ's config loader on a new configuration",
    "production.health.check_running-ms": "ms of the HEALTHCHECK's check_running stage",
    "production.health.check_local_alarms-ms": "ms of the HEALTHCHECK's check_local_alarms stage",
    "production.health.check_port_connectivity-ms": "ms of the HEALTHCHECK's check_port_connectivity stage",
    "production.health.stages-passed": "stages of the Docker HEALTHCHECK passed on a healthy broker, of 3",
    "production.health.alarm-failed-at-check_local_alarms":
        "HEALTHCHECK runs in a memory alarm that failed at check_local_alarms after check_running passed, of 1",
    "production.ssh.fd-limit":
        "open files the broker process may have on an SSH host (init script; /proc/<beam pid>/limits): 65536, or the host's hard limit",
    "production.ssh.host-hard-fd-limit": "the SSH test host's hard open-file limit",
    "production.ssh.memory-told-bytes": "memory RabbitMQ is told on an SSH host with a 2 GB cgroup (vm_memory_monitor)",
    "production.ssh.disk-free-limit-bytes": "disk_free_limit the SSH node reports (1.0 x the memory it is told)",
    "production.ssh.prometheus-rabbitmq-series": "rabbitmq_ series the SSH host's Prometheus endpoint serves",
    "production.ssh.bad-configs-refused":
        "advanced.configs RabbitMQ's loader refuses, refused on the host before the running node or its files changed, of 1",
    "production.ssh.readiness-failed-at-check_local_alarms":
        "ups whose readiness wait failed naming check_local_alarms when the node restarted into a disk alarm, of 1",
    "production.systemd.unit-enabled":
        "SSH hosts running systemd where up left the unit rabbitmq-server enabled and active (systemctl is-enabled, is-active), of 1",
    "production.systemd.host-hard-fd-limit":
        "the systemd test host's hard open-file limit (PID 1's: what systemd may grant without CAP_SYS_RESOURCE)",
    "production.systemd.fd-limit":
        "open files of the broker process under systemd (burrow's drop-in LimitNOFILE; /proc/<beam pid>/limits): 65536, or the host's hard limit",
    "production.systemd.memory-told-bytes":
        "memory RabbitMQ is told on a systemd host with a 2 GB cgroup (vm_memory_monitor; the limit is on an ancestor of PID 1's cgroup)",
    "production.systemd.fd-limit-changed":
        "open files of the broker process after burrow:openFileLimit was set to 16384 (4096 where the host's hard limit is lower): the drop-in rewritten, the unit restarted",
    "production.systemd.kill9-confirmed":
        "persistent messages confirmed before the kill -9 of the broker, of those sent",
    "production.systemd.kill9-recover-ms":
        "ms from kill -9 of beam.smp until an AMQP login succeeds again (systemd's Restart=on-failure, Debian's RestartSec=10)",
    "production.systemd.kill9-lost": "confirmed messages neither consumed nor left in the queue after the kill -9",
    "production.systemd.kill9-duplicated": "extra deliveries of a message already consumed, after the kill -9",
    "production.systemd.reboot-confirmed": "persistent messages confirmed before the host's reboot, of those sent",
    "production.systemd.reboot-recover-ms":
        "ms from `docker restart` of the systemd host (clean shutdown, boot) until an AMQP login succeeds again",
    "production.systemd.reboot-lost": "confirmed messages neither consumed nor left in the queue after the reboot",
    "production.systemd.reboot-duplicated": "extra deliveries of a message already consumed, after the reboot",
    "upgrades.downgrade.refused":
        "downgrades (burrow:debianRelease trixie -> bookworm) refused by preview and by up naming the key, the versions and why, of 2",
    "upgrades.downgrade.broker-changed":
        "of the container's id and start time, the stack's image tag and the queue's 100 messages: those a refused downgrade changed, of 4",
    "upgrades.ssh.refused":
        "version pins refused at preview on an SSH host running 4.0.5 (4.3.6: a new series, with the manual steps; 3.10.8: older), of 2",
    "upgrades.in-place.published":
        "messages confirmed by a 3-node cluster while every node was replaced in place, one at a time (a client publishing throughout)",
    "upgrades.in-place.lost": "of those, never consumed (a client consuming throughout, then to the end)",
    "upgrades.in-place.duplicated": "extra deliveries of a message already consumed, across the rolling upgrade",
    "upgrades.in-place.nodes-drained":
        "nodes the management API showed in maintenance mode (drained) during the up, of 3",
    "upgrades.in-place.nodes-out-at-once": "most nodes stopped or drained at the same moment (sampled every 300 ms)",
    "upgrades.in-place.min-online-replicas":
        "fewest members of the quorum queue online at any sample during the rolling upgrade, of 3",
    "upgrades.in-place.nodes-replaced": "containers whose Docker id changed, of 3",
    "upgrades.blue-green.published":
        "persistent messages confirmed into a classic and a quorum queue (10,000 each) of RabbitMQ 3.10.8 before its blue-green upgrade to 4.0.5",
    "upgrades.blue-green.moved": "of those, consumed from the new broker (4.0.5) after the upgrade",
    "upgrades.blue-green.lost": "of those, neither consumed nor left in the new broker's queues",
    "upgrades.blue-green.duplicated":
        "extra deliveries among them (at-least-once: a shovel interrupted between confirm and ack)",
    "upgrades.blue-green.live-published":
        "messages a client (a user made through the API, not by burrow) published with confirms while the up ran, reconnecting",
    "upgrades.blue-green.live-lost": "of those, never consumed by the client consuming throughout",
    "upgrades.blue-green.live-duplicated": "extra deliveries to that client",
    "upgrades.blue-green.switch-over-seconds":
        "longest time between two confirms of the publishing client: the broker unreachable while the new one takes the ports",
    "upgrades.blue-green.up-seconds": "seconds of the whole `pulumi up` of the blue-green upgrade",
    "upgrades.blue-green.stream-moved": "messages of a stream read from its first offset on the new broker, of 500",
    "upgrades.blue-green.logins-working":
        "logins that work on the new broker (the admin, a user of burrow's config, a user a client made), of 3",
    "upgrades.blue-green.other-vhost-moved":
        "messages of a quorum queue in another vhost (where the admin has no permissions) consumed from the new broker, of 300",
    "upgrades.blue-green-interrupted.old-volume-kept":
        "the old broker's volume still there after `pulumi up` was stopped (Ctrl-C twice) while the messages moved, of 1",
    "upgrades.blue-green-interrupted.lost":
        "messages of the 20,000 lost after the next up finished the interrupted move",
    "upgrades.blue-green-interrupted.duplicated": "extra deliveries among them (at-least-once)",
    "upgrades.blue-green-interrupted.stream-read":
        "messages read from the stream's first offset after the resumed move, of 500",
    "upgrades.blue-green-cluster.published":
        "persistent messages confirmed into a quorum and a classic queue (10,000 each) of a 3-node RabbitMQ 4.0.5 cluster before its blue-green upgrade to 4.3.6",
    "upgrades.blue-green-cluster.moved": "of those, consumed from the new 3-node cluster (4.3.6) after the upgrade",
    "upgrades.blue-green-cluster.lost": "of those, neither consumed nor left in the new cluster's queues",
    "upgrades.blue-green-cluster.duplicated": "extra deliveries among them",
    "upgrades.blue-green-cluster.live-published":
        "messages a client published with confirms to the cluster while the up ran, reconnecting to any node",
    "upgrades.blue-green-cluster.live-lost": "of those, never consumed by the client consuming throughout",
    "upgrades.blue-green-cluster.live-duplicated": "extra deliveries to that client",
    "upgrades.blue-green-cluster.switch-over-seconds":
        "longest time between two confirms of the publishing client while the new cluster took the ports",
    "upgrades.blue-green-cluster.up-seconds":
        "seconds of the whole `pulumi up` of the cluster's blue-green upgrade (the forky image built if not cached)",
    "upgrades.blue-green-cluster.logins-working":
        "logins that work on the new cluster (the admin, a user of burrow's config, a user a client made), of 3",
    "upgrades.switch-interrupted.lost":
        "of 20,000 confirmed messages, lost after `pulumi up` was stopped (Ctrl-C twice) once the old broker gave up its ports and the next up finished",
    "upgrades.switch-interrupted.duplicated": "extra deliveries among them",
    "upgrades.move-interrupted.lost":
        "of 20,000 confirmed messages, lost after the stack's containers restarted and `pulumi up` was stopped while shovels moved them, and the next up finished",
    "upgrades.move-interrupted.duplicated": "extra deliveries among them (at-least-once)",
    "upgrades.move-interrupted.old-broker-kept":
        "the old broker still there (being emptied) after that interruption, of 1",
} as const;

export type FigureName = keyof typeof FIGURES;

export interface FigureRecord {
    kind: "figure";
    run: string;
    at: string;
    name: FigureName;
    value: number;
    /** The denominator of a count ("3 of 3 refused"), when it has one. */
    of?: number;
    /** `file::describe > test`, to read the test's result from the run line. */
    test: string;
}
