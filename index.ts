// The stack program: stack config -> the broker's args -> the RabbitmqBroker component ->
// stack outputs. Only this file reads config; the component validates it (naming each
// problem as its `burrow:` key) exactly as it validates a library user's args.
import * as pulumi from "@pulumi/pulumi";
import { BrokerArgs, CONFIG_NAMESPACE, RabbitmqBroker, SETTING_KEYS } from "./components";

/** Every `burrow:*` key as set, objects and lists already parsed from their JSON (text keys, such as a password, as set). */
function readConfig(): BrokerArgs {
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        const name = key.slice(CONFIG_NAMESPACE.length + 1);
        try {
            const text = (SETTING_KEYS as Record<string, { text?: true }>)[name]?.text;
            raw[name] = !text && /^\s*[[{]/.test(value) ? JSON.parse(value) : value;
        } catch {
            raw[name] = value;
        }
    }
    // Checked by the component: every value, every key name.
    return raw as BrokerArgs;
}

/** The `burrow:*` keys set with --secret (the language host passes the list to the program). */
function secretKeys(): string[] {
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;
    return Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${CONFIG_NAMESPACE}:`) && isSecret(k))
        .map((k) => k.slice(CONFIG_NAMESPACE.length + 1));
}

const broker = new RabbitmqBroker("burrow", {
    ...readConfig(),
    inputSource: "config",
    configSecretKeys: secretKeys(),
});
const s = broker.settings;

// Stack outputs; those of a feature that is off are left out rather than shown empty.
const outputs: Record<string, pulumi.Output<unknown>> = {
    amqpUrl: broker.amqpUrl,
    managementUrl: broker.managementUrl,
    adminUser: broker.adminUser,
    adminPassword: broker.adminPassword,
    rabbitmqVersion: broker.rabbitmqVersion,
    erlangVersion: broker.erlangVersion,
    queues: broker.queues,
    userPasswords: broker.userPasswords,
    smoke: broker.smoke,
    clusterNodes: broker.clusterNodes,
};
if (s.target === "docker") outputs.containerName = broker.containerName;
if (s.shovels.length > 0 || s.federationUpstreams.length > 0) outputs.links = broker.links;
if (s.metricsPort !== null) outputs.metricsUrl = broker.metricsUrl;
if (s.tls)
    Object.assign(outputs, {
        caCert: broker.caCert,
        amqpsUrl: broker.amqpsUrl,
        managementTlsUrl: broker.managementTlsUrl,
    });
export = outputs;
