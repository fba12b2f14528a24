// burrow's public API: the broker component, its typed args (the same keys as stack
// config), and the settings it validates them into. Everything else is internal: the
// sub-components and providers are reached through RabbitmqBroker.
export { RabbitmqBroker, RabbitmqBrokerArgs, smokeQueueSettings, validatedSettings } from "./rabbitmq-broker";
export { ClusterNode } from "./broker-placement";
export * from "./settings";
