// The stack program: stack config -> one validated settings object -> the broker
// component -> stack outputs. Only this file reads config.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, RabbitmqBroker, RawConfig, parseSettings } from "./components";

function readConfig(): RawConfig {
    // Every `burrow:*` key as set, objects and lists already parsed from their JSON.
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        const name = key.slice(CONFIG_NAMESPACE.length + 1);
        try {
            raw[name] = /^\s*[[{]/.test(value) ? JSON.parse(value) : value;
        } catch {
            raw[name] = value;
        }
    }
    return raw;
}

const settings = parseSettings(readConfig());
for (const warning of settings.warnings) pulumi.log.warn(warning);
const broker = new RabbitmqBroker("burrow", { settings, stack: pulumi.getStack() });

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
if (settings.target === "docker") outputs.containerName = broker.containerName;
if (settings.tls)
    Object.assign(outputs, {
        caCert: broker.caCert,
        amqpsUrl: broker.amqpsUrl,
        managementTlsUrl: broker.managementTlsUrl,
    });
export = outputs;
