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
}

export const SETTING_KEYS: { readonly [K in keyof BrokerArgs]-?: KeyDoc } = {
    target: {
        default: "`docker`",
        meaning: "where the broker runs: `docker`, or `ssh` (a host, or a cluster of hosts; see below)",
    },
    debianRelease: {
        default: "`trixie`",
        meaning:
            "`trixie` (RabbitMQ 4.0.5, Erlang 27), `bookworm` (3.10.8, Erlang 25) or `forky` (4.3.6, Erlang 29); run `npm run bootstrap -- --release <name>` once",
    },
    baseImage: { default: "`burrow/debian:<release>`", meaning: "local image the broker image builds FROM" },
    plugins: { default: "`[]`", meaning: "extra plugins (`rabbitmq_management` is always on)" },
    bindAddress: { default: "`127.0.0.1`", meaning: "host address the ports are published on" },
    amqpPort: { default: "`5672`", meaning: "host AMQP port (1-65535; a Docker cluster's node i uses `amqpPort+i-1`)" },
    managementPort: {
        default: "`15672`",
        meaning: "host management port (differs from `amqpPort`; node i uses `managementPort+i-1`)",
    },
    memoryLimitMb: { default: "`1024`", meaning: "container memory limit; RabbitMQ is told the same" },
    memoryHighWatermark: { default: "`0.6`", meaning: "relative memory watermark, 0.1-0.9" },
    keepData: { default: "`false`", meaning: "keep the broker's data on destroy (see Day-2 operations)" },
    adminUser: { default: "`admin`", meaning: "the admin user's name" },
    adminPassword: {
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
    vhosts: { default: "`[]`", meaning: "extra vhosts" },
    users: {
        default: "`[]`",
        meaning:
            '`[{"name","password"?,"tags":[],"permissions":[{vhost,configure,write,read}],"topicPermissions":[{vhost,exchange,write,read}]}]`; no password: generated (output `userPasswords`)',
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
    smokeQueue: {
        default: "`burrow.smoke`",
        meaning: "the durable queue the smoke test uses (classic; quorum in a cluster)",
    },
    ssh: {
        default: "none",
        meaning:
            '`{"host","port":22,"user":"root","privateKey","hostKey","insecureIgnoreHostKey":false,"tunnel":false,"accessHost","accessAmqpPort","accessManagementPort"}`, or `hosts` instead of `host` for a cluster (see "Clusters on SSH hosts")',
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
            '`{"only":false,"amqpsPort":5671,"managementPort":15671,"hostnames":["localhost"]}`: AMQPS and HTTPS management with a CA the stack generates (output `caCert`); `only: true` closes the plain listeners (Docker target)',
    },
    cluster: {
        default: "none",
        meaning:
            '`3`, `true` or `{"nodes":3,"replicationFactor":3}`: a cluster in Docker or on the hosts of `ssh.hosts`; quorum queues become the default',
    },
    allowDataLoss: {
        default: "none",
        meaning:
            'consent to changes that lose messages, as the refusal names them: `["queue shop/orders","vhost legacy"]`, or `true` for anything; remove it after the up (see "Day-2 operations")',
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
