export * from "./settings";
export * from "./broker-image";
export * from "./broker-container";
export * from "./broker-access";
export * from "./broker-topology";
export * from "./rabbitmq-broker";
export * from "./broker-host";
export * from "./broker-cluster";
