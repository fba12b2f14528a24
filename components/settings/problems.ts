// Collecting every problem in the input before reporting any, each naming its key, and the
// one error that carries them. The same checks serve stack config (keys named
// `burrow:queues[0].type`, with the `config set` fix) and a library user's typed args
// (named `queues[0].type`).

/** Config namespace: every key is `burrow:<key>` in Pulumi.<stack>.yaml. */
export const CONFIG_NAMESPACE = "burrow";

/** Where the input came from, which decides how a key is named in messages. */
export type InputSource = "config" | "args";

export interface Problem {
    /** The key's path, e.g. `queues[0].type`. */
    key: string;
    /** What is wrong and what to do, after the key's name. */
    message: string;
}

/** Thrown with every problem found, each naming its key. */
export class SettingsError extends Error {
    override readonly name = "SettingsError";
    /** Each problem as one sentence that starts with its key. */
    readonly problems: string[];
    constructor(
        readonly issues: Problem[],
        readonly source: InputSource = "config",
        /** The component's name, for library users' messages. */
        readonly component = "burrow",
    ) {
        const problems = issues.map((i) => `${keyRef(i.key, source)} ${i.message}`);
        const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
        super(
            source === "config"
                ? `Invalid burrow configuration (${count}); nothing was created or changed:\n` +
                      problems.map((p) => `  - ${p}`).join("\n") +
                      `\nSet values with \`npm run pulumi -- config set ${CONFIG_NAMESPACE}:<key> <value>\` ` +
                      `(objects and lists with --path or --json); see README "Configuration".`
                : `Invalid arguments to RabbitmqBroker "${component}" (${count}); nothing was created or changed:\n` +
                      problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.problems = problems;
    }
}

/** How a key is written in a message: `burrow:amqpPort` for config, `amqpPort` for args. */
export function keyRef(key: string, source: InputSource): string {
    return source === "config" ? `\`${CONFIG_NAMESPACE}:${key}\`` : `\`${key}\``;
}

export class Problems {
    readonly list: Problem[] = [];
    constructor(readonly source: InputSource = "config") {}
    /** Records a problem; returns undefined so a parser can `return p.add(...)`. */
    add(key: string, message: string): undefined {
        this.list.push({ key, message });
        return undefined;
    }
    /** A key named the way this input names keys, for messages that point at another key. */
    ref(key: string): string {
        return keyRef(key, this.source);
    }
    /** How to set a key: the `config set` command for config, the argument for args. */
    howToSet(key: string, example: string, flags = ""): string {
        return this.source === "config"
            ? `\`npm run pulumi -- config set ${flags ? `${flags} ` : ""}${CONFIG_NAMESPACE}:${key} ${example}\``
            : `\`${key}: ${example}\``;
    }
    throwIfAny(component?: string) {
        if (this.list.length > 0) throw new SettingsError(this.list, this.source, component);
    }
}
