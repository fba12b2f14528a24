// Settings: the one validated, typed object that travels from stack config (or a library
// user's args) to the components. Everything here is pure: no Pulumi runtime, no I/O,
// tested without mocks. Where to look:
//   args.ts      the input, typed and documented (library args = stack config keys)
//   keys.ts      every key with its default and meaning (the README table comes from it)
//   parse.ts     parseSettings(): input -> BrokerSettings, every problem at once
//   types.ts     BrokerSettings and its parts
//   rabbitmq.ts  RabbitMQ's own rules as tables (queue arguments, types, tags)
//   topology.ts  vhosts, users, permissions, queues, exchanges, bindings, policies
//   objects.ts   vhost metadata and limits, user limits and hashes, operator policies, shovels,
//                federation, super streams, global parameters (rules: rabbitmq-objects.ts)
//   node.ts      the production checklist (open files, disk limit, partitions, metrics) and
//                the rabbitmq.conf / advanced.config / rabbitmq-env.conf passthrough
//   cluster.ts   clusters and the rules derived from them (node ports, quorum group size)
//   ssh.ts       the SSH target's hosts and apt sources;  tls.ts  TLS listeners
//   problems.ts  how problems are collected and named;  values.ts  checks of single values
export * from "./args";
export * from "./cluster";
export * from "./keys";
export * from "./objects";
export * from "./rabbitmq-objects";
export { MANAGED_CONF_KEYS, MANAGED_ENV_KEYS, RECOMMENDED_OPEN_FILES } from "./node";
export * from "./parse";
export * from "./problems";
export * from "./rabbitmq";
export * from "./types";
export { nameProblem, regexProblem } from "./values";
