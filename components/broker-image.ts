import * as pulumi from "@pulumi/pulumi";
import { DockerImage, cacheTagOf } from "./providers/docker-image";

export interface BrokerImageArgs {
    /** Local base image to build FROM (default burrow/debian:trixie, made by scripts/bootstrap). */
    readonly baseImage: string;
    /** Plugins enabled offline at build time; must include rabbitmq_management. */
    readonly plugins: string[];
    /** The stack's own image tag; removed again on destroy. */
    readonly tag: string;
    /** What must agree before anything is built (the version guard); default nothing. */
    readonly buildAfter?: pulumi.Resource[];
}

/**
 * Writes the Dockerfile for the broker: the seed tutorial's install step (erlang and
 * rabbitmq-server, here from Debian's own packages) and `rabbitmq-plugins enable`.
 * The install layer comes first so that a plugin change rebuilds in seconds.
 */
export function brokerDockerfile(baseImage: string, plugins: string[]): string {
    return [
        `FROM ${baseImage}`,
        `RUN apt-get update \\`,
        ` && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends erlang-nox rabbitmq-server \\`,
        ` && rm -rf /var/lib/apt/lists/*`,
        `RUN rabbitmq-plugins enable --offline ${plugins.join(" ")}`,
        `COPY burrow-entrypoint /usr/local/bin/burrow-entrypoint`,
        `HEALTHCHECK --interval=10s --timeout=15s --start-period=60s --retries=3 CMD rabbitmq-diagnostics -q check_running || exit 1`,
        `EXPOSE 5672 15672 5671 15671`,
        `ENTRYPOINT ["/usr/local/bin/burrow-entrypoint"]`,
        ``,
    ].join("\n");
}

/** Writes rabbitmq.conf and the Erlang cookie from the container's environment, then runs the node. */
export const ENTRYPOINT = `#!/bin/sh
# burrow: node configuration from the container's environment, then RabbitMQ in the foreground.
set -eu
if [ "\${BURROW_TLS_ONLY:-0}" = 1 ]; then plain="listeners.tcp = none"; else plain="listeners.tcp.default = 5672
management.tcp.port = 15672"; fi
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
$plain
loopback_users.guest = true
total_memory_available_override_value = \${BURROW_MEMORY_LIMIT_BYTES:-1073741824}
vm_memory_high_watermark.relative = \${BURROW_MEMORY_HIGH_WATERMARK:-0.6}
CONF
if [ -f /etc/rabbitmq/tls/cert.pem ]; then
  chown -R rabbitmq:rabbitmq /etc/rabbitmq/tls && chmod 600 /etc/rabbitmq/tls/key.pem
  cat >> /etc/rabbitmq/rabbitmq.conf <<CONF
listeners.ssl.default = 5671
ssl_options.cacertfile = /etc/rabbitmq/tls/ca.pem
ssl_options.certfile = /etc/rabbitmq/tls/cert.pem
ssl_options.keyfile = /etc/rabbitmq/tls/key.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
management.ssl.port = 15671
management.ssl.cacertfile = /etc/rabbitmq/tls/ca.pem
management.ssl.certfile = /etc/rabbitmq/tls/cert.pem
management.ssl.keyfile = /etc/rabbitmq/tls/key.pem
CONF
fi
if [ -n "\${BURROW_CLUSTER_NODES:-}" ]; then
  # Peer discovery, classic config: at first boot the node joins the first reachable peer.
  echo "cluster_formation.peer_discovery_backend = classic_config" >> /etc/rabbitmq/rabbitmq.conf
  echo "cluster_formation.discovery_retry_limit = 60" >> /etc/rabbitmq/rabbitmq.conf
  echo "cluster_formation.discovery_retry_interval = 1000" >> /etc/rabbitmq/rabbitmq.conf
  i=1
  for n in $(echo "$BURROW_CLUSTER_NODES" | tr ',' ' '); do
    echo "cluster_formation.classic_config.nodes.$i = $n" >> /etc/rabbitmq/rabbitmq.conf
    i=$((i + 1))
  done
fi
# The admin user as definitions, imported at the first boot only (an empty database): later
# boots keep what the running broker has (a password changed since, for one).
boot=/etc/rabbitmq/burrow-boot/definitions.json
if [ -f "$boot" ]; then
  if [ -z "$(ls -A /var/lib/rabbitmq/mnesia 2>/dev/null)" ]; then
    chown -R rabbitmq:rabbitmq "$(dirname "$boot")" && chmod 700 "$(dirname "$boot")" && chmod 400 "$boot"
    echo "load_definitions = $boot" >> /etc/rabbitmq/rabbitmq.conf
  else
    rm -f "$boot"
  fi
fi
chown rabbitmq:rabbitmq /var/lib/rabbitmq
if [ -n "\${BURROW_ERLANG_COOKIE:-}" ]; then
  cookie=/var/lib/rabbitmq/.erlang.cookie
  [ -f "$cookie" ] && chmod 600 "$cookie"
  (umask 077 && printf '%s' "$BURROW_ERLANG_COOKIE" > "$cookie")
  chown rabbitmq:rabbitmq "$cookie" && chmod 400 "$cookie"
fi
unset BURROW_ERLANG_COOKIE
# RabbitMQ's own start script as PID 1, as the rabbitmq user: it turns SIGTERM (docker stop)
# into a clean node stop. Debian's wrapper (/usr/sbin/rabbitmq-server) would run it under
# \`su\`, which neither passes SIGTERM on (docker stop then ends in SIGKILL, and acked
# messages come back after the restart) nor keeps the container's open-file limit (PAM sets
# 1024). setpriv does neither.
cd /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
`;

/** What the broker image is built from (the Dockerfile and the entrypoint beside it). */
function buildOf(baseImage: string, plugins: string[]) {
    return { baseImage, dockerfile: brokerDockerfile(baseImage, plugins), files: { "burrow-entrypoint": ENTRYPOINT } };
}

/** The content tag of the broker image for these settings, known before it is built. */
export const brokerImageCacheTag = (baseImage: string, plugins: string[]) => cacheTagOf(buildOf(baseImage, plugins));

/** The broker image: Erlang and RabbitMQ from Debian's packages, plugins enabled offline. */
export class BrokerImage extends pulumi.ComponentResource {
    readonly imageId: pulumi.Output<string>;
    readonly tag: pulumi.Output<string>;
    readonly rabbitmqVersion: pulumi.Output<string>;
    readonly erlangVersion: pulumi.Output<string>;
    /** The image's content tag, known before it is built (an upgrade's preview reads the version from it if it exists). */
    readonly cacheTag: string;

    constructor(name: string, args: BrokerImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("burrow:index:BrokerImage", name, {}, opts);
        if (!args.plugins.includes("rabbitmq_management")) {
            throw new Error(
                "`plugins` must include rabbitmq_management: burrow manages the broker through the management API.",
            );
        }
        const build = buildOf(args.baseImage, args.plugins);
        const image = new DockerImage(
            `${name}-build`,
            { tag: args.tag, ...build },
            { parent: this, dependsOn: args.buildAfter },
        );
        this.cacheTag = cacheTagOf(build);
        this.imageId = image.imageId;
        this.tag = image.tag;
        this.rabbitmqVersion = image.rabbitmqVersion;
        this.erlangVersion = image.erlangVersion;
        this.registerOutputs({
            imageId: this.imageId,
            rabbitmqVersion: this.rabbitmqVersion,
            erlangVersion: this.erlangVersion,
        });
    }
}
