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

export const amqpUrl = broker.amqpUrl;
export const managementUrl = broker.managementUrl;
export const adminUser = broker.adminUser;
export const adminPassword = broker.adminPassword;
export const rabbitmqVersion = broker.rabbitmqVersion;
export const erlangVersion = broker.erlangVersion;
export const queues = broker.queues;
export const userPasswords = broker.userPasswords;
export const containerName = broker.containerName;
export const smoke = broker.smoke;
export const caCert = broker.caCert;
export const clusterNodes = broker.clusterNodes;
export const amqpsUrl = broker.amqpsUrl;
export const managementTlsUrl = broker.managementTlsUrl;
