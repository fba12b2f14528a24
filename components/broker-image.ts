import * as pulumi from "@pulumi/pulumi";
import { CONFIG_CHECK, STAGED_DIR } from "../lib/node-config";
import { DockerImage, cacheTagOf } from "./providers/docker-image";

export interface BrokerImageArgs {
    /** Local base image to build FROM (default burrow/debian:trixie, made by scripts/bootstrap). */
    readonly baseImage: string;
    /** Plugins enabled offline at build time; must include rabbitmq_management. */
    readonly plugins: string[];
    /** The stack's own image tag; removed again on destroy. */
    readonly tag: string;
    /** The container running from the tag and its owner: another owner's container keeps the tag on destroy. */
    readonly heldBy?: { readonly container: pulumi.Input<string>; readonly owner: string };
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
        `COPY burrow-entrypoint burrow-health burrow-config-check /usr/local/bin/`,
        // RabbitMQ's staged health checks; each boots a CLI VM, hence every 30 s rather than 10.
        `HEALTHCHECK --interval=30s --timeout=60s --start-period=60s --retries=3 CMD ["/usr/local/bin/burrow-health"]`,
        `EXPOSE 5672 15672 5671 15671 15692`,
        `ENTRYPOINT ["/usr/local/bin/burrow-entrypoint"]`,
        ``,
    ].join("\n");
}

/**
 * Installs the files burrow copied in (rabbitmq.conf, advanced.config, rabbitmq-env.conf, the
 * Erlang cookie, the admin's boot definitions, TLS keys), then runs the node. Nothing comes
 * from the environment: secrets in `docker inspect` or /proc/<pid>/environ are readable by
 * anyone who may run `docker inspect` or `docker exec`.
 */
export const ENTRYPOINT = `#!/bin/sh
# burrow: the node's files, as burrow copied them in, then RabbitMQ in the foreground.
set -eu
staged=${STAGED_DIR}
# Without burrow's files (a bare \`docker run\` of the image, as the bench's floor does) the
# node starts with RabbitMQ's own defaults.
mkdir -p "$staged" /etc/rabbitmq/conf.d && chmod 700 "$staged"
if [ -f "$staged/rabbitmq.conf" ]; then install -m 0644 -o root -g rabbitmq "$staged/rabbitmq.conf" /etc/rabbitmq/rabbitmq.conf; fi
# The watermark and disk limit: a file of their own, rewritten on the running node by LiveSettings.
if [ -f "$staged/live.conf" ]; then install -m 0644 -o root -g rabbitmq "$staged/live.conf" /etc/rabbitmq/conf.d/90-burrow-live.conf; fi
for f in advanced.config rabbitmq-env.conf; do
  if [ -f "$staged/$f" ]; then install -m 0640 -o root -g rabbitmq "$staged/$f" "/etc/rabbitmq/$f"; else rm -f "/etc/rabbitmq/$f"; fi
done
if [ -f /etc/rabbitmq/tls/cert.pem ]; then
  chown -R rabbitmq:rabbitmq /etc/rabbitmq/tls && chmod 600 /etc/rabbitmq/tls/key.pem
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
# The cookie goes to the data volume once; the copy burrow made is removed.
if [ -f "$staged/erlang.cookie" ]; then
  cookie=/var/lib/rabbitmq/.erlang.cookie
  [ -f "$cookie" ] && chmod 600 "$cookie"
  install -m 0400 -o rabbitmq -g rabbitmq "$staged/erlang.cookie" "$cookie"
  rm -f "$staged/erlang.cookie"
fi
# RabbitMQ's own start script as PID 1, as the rabbitmq user: it turns SIGTERM (docker stop)
# into a clean node stop. Debian's wrapper (/usr/sbin/rabbitmq-server) would run it under
# \`su\`, which neither passes SIGTERM on (docker stop then ends in SIGKILL, and acked
# messages come back after the restart) nor keeps the container's open-file limit (PAM sets
# 1024). setpriv does neither.
cd /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
`;

/**
 * The Docker HEALTHCHECK: RabbitMQ's staged health checks in order (monitoring guide:
 * the node runs, it has no resource alarm, its listeners accept connections); the first
 * that fails is named, and each passed stage prints its time (`docker inspect` keeps the
 * last outputs in State.Health.Log).
 */
export const HEALTH_CHECK = `#!/bin/sh
for stage in check_running check_local_alarms check_port_connectivity; do
  t0=$(date +%s%N)
  if ! out=$(rabbitmq-diagnostics -q "$stage" 2>&1); then
    echo "burrow-health: $stage failed: $out"
    exit 1
  fi
  echo "burrow-health: $stage ok in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
`;

/** What the broker image is built from (the Dockerfile and the files beside it). */
export function brokerImageBuild(baseImage: string, plugins: string[]) {
    return {
        baseImage,
        dockerfile: brokerDockerfile(baseImage, plugins),
        files: {
            "burrow-entrypoint": ENTRYPOINT,
            "burrow-health": HEALTH_CHECK,
            "burrow-config-check": `#!/bin/sh\n${CONFIG_CHECK}`,
        },
    };
}

/** The content tag of the broker image for these settings, known before it is built. */
export const brokerImageCacheTag = (baseImage: string, plugins: string[]) =>
    cacheTagOf(brokerImageBuild(baseImage, plugins));

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
        const build = brokerImageBuild(args.baseImage, args.plugins);
        const image = new DockerImage(
            `${name}-build`,
            { tag: args.tag, ...build, ...(args.heldBy ? { heldBy: pulumi.output(args.heldBy) } : {}) },
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
