// Pulumi hands a dynamic provider some secret values still wrapped ({<sig>: ..., value}),
// e.g. an old output that was made secret by additionalSecretOutputs. Diffs compare the
// plain values.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function unwrapSecrets<T>(v: T): T {
    if (Array.isArray(v)) return v.map(unwrapSecrets) as T;
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(o.value) as T;
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)])) as T;
    }
    return v;
}
