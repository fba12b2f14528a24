// Whose a Docker object is, decided from its labels (lib/ownership.ts): a container, volume
// or network of the same name that another stack state owns is never adopted, removed or
// deleted; one an earlier burrow made for this stack (burrow.stack, no owner label yet) is
// adopted. One decision for every kind, so create and delete always agree.
import { docker } from "./exec";
import { OWNER_LABEL } from "./ownership";

export const STACK_LABEL = "burrow.stack";

export type DockerKind = "container" | "volume" | "network";

export type Ownership =
    /** Labelled with this stack state's owner id. */
    | { kind: "ours" }
    /** Made by an earlier burrow for this stack name, before objects carried an owner. */
    | { kind: "adoptable" }
    /** Another stack state's (another owner, or another stack's name). */
    | { kind: "foreign"; owner: string; stack: string }
    /** Not made by burrow at all. */
    | { kind: "unlabelled" };

/** Whose an object with `live` labels is, for a stack whose objects carry `ours`. */
export function ownershipOf(live: Record<string, string> | null | undefined, ours: Record<string, string>): Ownership {
    const labels = live ?? {};
    const owner = labels[OWNER_LABEL] ?? "";
    const stack = labels[STACK_LABEL] ?? "";
    const ourOwner = ours[OWNER_LABEL];
    const ourStack = ours[STACK_LABEL];
    if (owner) {
        if (owner === ourOwner) return { kind: "ours" };
        // A state written before owner labels knows only its stack name.
        if (ourOwner === undefined && stack === ourStack) return { kind: "ours" };
        return { kind: "foreign", owner, stack };
    }
    if (stack && stack === ourStack) return { kind: "adoptable" };
    if (stack) return { kind: "foreign", owner: "", stack };
    return { kind: "unlabelled" };
}

export const mayUse = (o: Ownership) => o.kind === "ours" || o.kind === "adoptable";

/** The labels of an existing object; undefined when there is no object of that name. */
export async function liveLabels(kind: DockerKind, name: string): Promise<Record<string, string> | undefined> {
    const format = kind === "container" ? "{{json .Config.Labels}}" : "{{json .Labels}}";
    let out: string;
    try {
        out = (await docker([kind, "inspect", "--format", format, name])).stdout.trim();
    } catch {
        return undefined;
    }
    try {
        return (JSON.parse(out) as Record<string, string> | null) ?? {};
    } catch {
        return {};
    }
}

/** Why an existing object cannot be used, and what to do about it. */
export function notOursMessage(kind: DockerKind, name: string, o: Ownership, ours: Record<string, string>): string {
    const fix =
        "Use other Docker names: another stack name (`npm run pulumi -- stack init <name>`; the names default to " +
        "burrow-<stack>) or, in your own program, another `dockerNamePrefix` argument; or destroy the stack that " +
        "owns it from its own checkout.";
    if (o.kind === "unlabelled")
        return `a Docker ${kind} named ${name} already exists and was not made by burrow (no ${STACK_LABEL} label); burrow does not adopt it. Remove or rename it, or: ${fix}`;
    if (o.kind !== "foreign") return `the Docker ${kind} ${name} is this stack's`;
    const whose = o.owner
        ? `stack "${o.stack}" of another Pulumi state (${OWNER_LABEL}=${o.owner}; this stack's owner is ${ours[OWNER_LABEL]})`
        : `stack "${o.stack}"`;
    return `the Docker ${kind} ${name} belongs to ${whose}: another checkout or state backend uses the same names. burrow never adopts, removes or deletes another stack's objects. ${fix}`;
}

/** Throws unless an existing object of that name (if any) may be used by this stack; returns whether one exists. */
export async function claim(kind: DockerKind, name: string, ours: Record<string, string>): Promise<boolean> {
    const live = await liveLabels(kind, name);
    if (live === undefined) return false;
    const o = ownershipOf(live, ours);
    if (!mayUse(o)) throw new Error(notOursMessage(kind, name, o, ours));
    return true;
}

/** Whether an existing object is this stack's to delete (false also when it is gone). */
export async function ownedForDelete(kind: DockerKind, name: string, ours: Record<string, string>): Promise<boolean> {
    const live = await liveLabels(kind, name);
    return live !== undefined && mayUse(ownershipOf(live, ours));
}
