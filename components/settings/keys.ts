// Every setting's key, default and meaning: the one list. parseSettings() refuses keys that
// are not here, the README's configuration table is generated from it (`npm run docs`,
// checked by test/unit/readme.test.ts), and the type below makes it list exactly the fields
// of BrokerArgs.
import { BrokerArgs } from "./args";

export interface KeyDoc {
    /** The default, as shown in the README. */
    default: string;
    /** What it means, as shown in the README (Markdown). */
    meaning: string;
    /** Its value is text as set, never JSON: a password may begin with "[" or "{". */
    text?: true;
}

export const SETTING_KEYS: { readonly [K in keyof BrokerArgs]-?: KeyDoc } = {
    target: {
        default: "`docker`",
        meaning: "where the broker runs: `docker`, or `ssh` (a host, or a cluster of hosts; see below)",
    },
    debianRelease: {
        default: "`trixie`",
        meaning:
            "`trixie` (RabbitMQ 4.0.5, Erlang 27), `bookworm` (3.10.8, Erlang 25) or `forky` (4.3.6, Erlang 29); run `npm run bootstrap -- --release <name>` once. Policies and arguments are checked against its RabbitMQ (SSH target: the hosts' release, or pin `rabbitmqVersion`)",
    },
    baseImage: { default: "`burrow/debian:<release>`", meaning: "local image the broker image builds FROM" },
    plugins: {
        default: "`[]`",
        meaning:
            "extra plugins (`rabbitmq_management` is always on, `rabbitmq_prometheus` unless `metricsPort` is false)",
    },
    bindAddress: { default: "`127.0.0.1`", meaning: "host address the ports are published on" },
    amqpPort: { default: "`5672`", meaning: "host AMQP port (1-65535; a Docker cluster's node i uses `amqpPort+i-1`)" },
    managementPort: {
        default: "`15672`",
        meaning: "host management port (differs from `amqpPort`; node i uses `managementPort+i-1`)",
    },
    memoryLimitMb: {
        default: "`1024`",
        meaning:
            "Docker: the container's memory limit; RabbitMQ is told the same (SSH hosts: RabbitMQ is told the host's memory or its cgroup limit)",
    },
    memoryHighWatermark: { default: "`0.6`", meaning: "relative memory watermark, 0.1-0.9; changed without a restart" },
    openFileLimit: {
        default: "`65536`",
        meaning:
            "open files the broker may have (1024-1048576); capped at the host's hard limit, with a warning when that is below 65536 (see Production defaults)",
    },
    diskFreeLimit: {
        default: "`1.0`",
        meaning:
            'free disk below which publishers are blocked: a multiple of the broker\'s memory (0.1-10), or a size `"2GB"`/`"500MB"`/bytes; changed without a restart',
    },
    partitionHandling: {
        default: "`pause_minority` (clusters)",
        meaning:
            "a cluster's `cluster_partition_handling`: `pause_minority` (RabbitMQ's advice from 3 nodes; with 2 a partition pauses both), `autoheal` or `ignore`; a change restarts the nodes",
    },
    metricsPort: {
        default: "`managementPort`+20 (15692)",
        meaning:
            "host port of the Prometheus endpoint (output `metricsUrl`; node i of a Docker cluster uses `metricsPort+i-1`); `false`: metrics off",
    },
    rabbitmqConf: {
        default: "`{}`",
        meaning:
            'extra rabbitmq.conf keys, e.g. `{"heartbeat":30}`; keys burrow writes are refused naming the burrow key; checked by RabbitMQ\'s config loader before a running node restarts with them',
    },
    advancedConfig: {
        default: "none",
        meaning:
            "advanced.config (Erlang terms ending with `.`); checked by RabbitMQ's config loader before a running node restarts with it",
    },
    envConfig: {
        default: "`{}`",
        meaning:
            'rabbitmq-env.conf entries without the `RABBITMQ_` prefix, e.g. `{"SERVER_ADDITIONAL_ERL_ARGS":"+S 2:2"}`; names burrow sets are refused',
    },
    keepData: { default: "`false`", meaning: "keep the broker's data on destroy (see Day-2 operations)" },
    adminUser: { default: "`admin`", meaning: "the admin user's name", text: true },
    adminPassword: {
        text: true,
        default: "generated once",
        meaning: "the admin's password; a secret, stable across updates (`config set --secret`)",
    },
    adminTags: {
        default: '`["administrator"]`',
        meaning:
            "`administrator`, `monitoring`, `policymaker`, `management`, `impersonator`; must include administrator",
    },
    adminPermissions: {
        default: '`{"vhost":"/","configure":".*","write":".*","read":".*"}`',
        meaning: 'the seed\'s `set_permissions -p / admin ".*" ".*" ".*"`',
    },
    removeGuest: {
        default: "`true`",
        meaning:
            "no `guest` user (Docker: never created; SSH: deleted); `false` keeps it (loopback-only, as RabbitMQ ships it)",
    },
    vhosts: {
        default: "`[]`",
        meaning:
            'extra vhosts: names, or `{"name","description","tags":[],"defaultQueueType":"classic"\\|"quorum"\\|"stream","limits":{"max-connections","max-queues"}}`',
    },
    users: {
        default: "`[]`",
        meaning:
            '`[{"name","password"?,"tags":[],"permissions":[{vhost,configure,write,read}],"topicPermissions":[{vhost,exchange,write,read}],"limits":{"max-connections","max-channels"}}]`; no password: generated (output `userPasswords`); or `"passwordHash"` (secret, RabbitMQ\'s base64 salted hash) with `"hashingAlgorithm":"rabbit_password_hashing_sha256"` (default; `_sha512`, `_md5`)',
    },
    queues: {
        default: "`[]`",
        meaning:
            'names or `{"name","vhost":"/","type":"classic"\\|"quorum"\\|"stream","durable":true,"autoDelete":false,"arguments":{"x-message-ttl":60000,…},"smoke":false}`',
    },
    exchanges: {
        default: "`[]`",
        meaning:
            '`{"name","vhost","type":"direct"\\|"fanout"\\|"topic"\\|"headers","durable","autoDelete","internal","arguments"}`',
    },
    bindings: {
        default: "`[]`",
        meaning:
            '`{"vhost","source","destination","destinationType":"queue"\\|"exchange","routingKey","arguments"}`; both ends must be declared (or built-in `amq.*`)',
    },
    policies: {
        default: "`[]`",
        meaning: '`{"name","vhost","pattern","applyTo":"queues"…,"priority":0,"definition":{…}}`',
    },
    operatorPolicies: {
        default: "`[]`",
        meaning:
            '`{"name","vhost","pattern","applyTo":"queues"\\|"classic_queues"\\|"quorum_queues"\\|"streams","priority":0,"definition":{…}}`; only RabbitMQ\'s operator-policy keys: `expires`, `message-ttl`, `max-length`, `max-length-bytes`, `max-in-memory-length`, `max-in-memory-bytes`, `delivery-limit`, `overflow`, `queue-version`, `target-group-size`',
    },
    shovels: {
        default: "`[]`",
        meaning:
            'dynamic shovels (enables `rabbitmq_shovel`): `{"name","vhost","source":{"uri","protocol":"amqp091"\\|"amqp10","queue"\\|"exchange"+"routingKey"\\|"address","prefetchCount"},"destination":{…,"addForwardHeaders"},"ackMode":"on-confirm","deleteAfter":"never"\\|"queue-length"\\|N,"reconnectDelay"}`; URIs hold passwords: set with `--secret`; no `uri`: this broker (AMQP 0-9-1); status in output `links`',
    },
    federationUpstreams: {
        default: "`[]`",
        meaning:
            'federation upstreams (enables `rabbitmq_federation`): `{"name","vhost","uri","exchange","queue","maxHops","expires","messageTtl","prefetchCount","reconnectDelay","ackMode","trustUserId"}`, `uri` a secret; a policy uses them with `"federation-upstream"` or `"federation-upstream-set"`',
    },
    federationUpstreamSets: {
        default: "`[]`",
        meaning: '`{"name","vhost","upstreams":["a",{"upstream":"b","exchange":"x"}]}`',
    },
    superStreams: {
        default: "`[]`",
        meaning:
            '`{"name","vhost","partitions":3}` or `"routingKeys":["eu","us"]`, `"arguments":{"x-max-age":"7D"}`: a direct exchange, one stream `<name>-<key>` per partition and their bindings, as `rabbitmq-streams add_super_stream` makes them',
    },
    globalParameters: {
        default: "none",
        meaning: '`{"cluster_name":"orders-prod"}` (RabbitMQ\'s default name: the first node\'s)',
    },
    smokeQueue: {
        default: "`burrow.smoke`",
        meaning: "the durable queue the smoke test uses (classic; quorum in a cluster)",
    },
    ssh: {
        default: "none",
        meaning:
            '`{"host","port":22,"user":"root","privateKey","hostKey","insecureIgnoreHostKey":false,"tunnel":false,"adoptExisting":false,"accessHost","accessAmqpPort","accessManagementPort","accessMetricsPort"}`, or `hosts` instead of `host` for a cluster (see "Clusters on SSH hosts")',
    },
    aptSources: {
        default: "`[]`",
        meaning:
            'SSH target: `[{"name","uri","suite","components":["main"],"key":"-----BEGIN PGP PUBLIC KEY BLOCK-----…"}]` extra apt repositories, like the seed\'s Erlang/RabbitMQ repos',
    },
    rabbitmqVersion: { default: "suite's", meaning: "SSH target: pin the `rabbitmq-server` package version" },
    tls: {
        default: "none",
        meaning:
            '`{"only":false,"amqpsPort":5671,"managementPort":15671,"hostnames":["localhost"]}`: AMQPS and HTTPS management with a CA the stack generates (output `caCert`); `only: true` closes the plain listeners and serves metrics over HTTPS (Docker target)',
    },
    cluster: {
        default: "none",
        meaning:
            '`3`, `true` or `{"nodes":3,"replicationFactor":3}`: a cluster in Docker or on the hosts of `ssh.hosts`; quorum queues become the default',
    },
    allowDataLoss: {
        default: "none",
        meaning:
            'consent to changes that lose messages, as the refusal names them: `["queue shop/orders","vhost legacy","shovel move","policy cap","operator-policy cap"]`, or `true` for anything; remove it after the up (see "Day-2 operations")',
    },
};

export const KNOWN_KEYS = Object.keys(SETTING_KEYS) as Array<keyof BrokerArgs>;

/** The README's configuration table, made from SETTING_KEYS. */
export function settingsTable(): string {
    return [
        "| key | default | meaning |",
        "| --- | --- | --- |",
        ...KNOWN_KEYS.map((k) => `| \`${k}\` | ${SETTING_KEYS[k].default} | ${SETTING_KEYS[k].meaning} |`),
    ].join("\n");
}
