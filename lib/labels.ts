// How a broker object is named in burrow's state, previews, outputs and scripts: one format,
// built and parsed only here. "tasks" is queue tasks in vhost "/", "shop/orders" is queue
// orders in vhost shop. "%" and "/" inside a vhost or object name are written %25 and %2F,
// so every legal RabbitMQ name round-trips: queue "b/c" in vhost "a" is "a/b%2Fc", queue
// "c" in vhost "a/b" is "a%2Fb/c".

const escapeName = (s: string) => s.replace(/%/g, "%25").replace(/\//g, "%2F");
/** Inside labels made of several names, spaces are escaped too, so " " can separate the parts. */
const escapePart = (s: string) => escapeName(s).replace(/ /g, "%20");
const unescapeName = (s: string) => s.replace(/%2F/gi, "/").replace(/%25/g, "%");

/** The label of an object that has a name in a vhost (queue, exchange, policy, ...). */
export function objectLabel(vhost: string, name: string): string {
    return vhost === "/" ? escapeName(name) : `${escapeName(vhost)}/${escapeName(name)}`;
}

/** The vhost and name a label stands for; throws on text no objectLabel() could have made. */
export function parseLabel(label: string): { vhost: string; name: string } {
    const parts = label.split("/");
    if (parts.length === 1 && parts[0] !== "") return { vhost: "/", name: unescapeName(parts[0]) };
    if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") {
        return { vhost: unescapeName(parts[0]), name: unescapeName(parts[1]) };
    }
    throw new Error(
        `"${label}" is not an object label: use NAME for vhost "/" or VHOST/NAME, writing a "/" inside a name as %2F`,
    );
}

/** A binding's label: "jobs -> queue:tasks (task)", with the vhost in front when it is not "/". */
export function bindingLabel(b: {
    vhost: string;
    source: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: Record<string, unknown>;
}): string {
    const key = b.routing_key.replace(/%/g, "%25").replace(/\)/g, "%29");
    const args = Object.keys(b.arguments ?? {}).length ? ` ${JSON.stringify(b.arguments)}` : "";
    const text = `${escapeName(b.source)} -> ${b.destination_type}:${escapeName(b.destination)} (${key})${args}`;
    return b.vhost === "/" ? text : `${escapeName(b.vhost)}/${text}`;
}

/** A vhost's label: its name ("/" inside it written %2F). */
export const vhostLabel = (vhost: string): string => escapeName(vhost);

/** A user's label: its name. */
export const userLabel = (user: string): string => escapeName(user);

/** A user's permissions in a vhost: "app" in vhost "/", "shop/app" elsewhere (as objectLabel). */
export const permissionLabel = (vhost: string, user: string): string => objectLabel(vhost, user);

/** A user's topic permission on one exchange in a vhost: "app -> amq.topic", "shop/app -> events". */
export function topicPermissionLabel(vhost: string, user: string, exchange: string): string {
    const who = vhost === "/" ? escapePart(user) : `${escapePart(vhost)}/${escapePart(user)}`;
    return `${who} -> ${escapePart(exchange)}`;
}
