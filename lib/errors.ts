// Errors burrow decides on, typed so that code asks `instanceof` / `.status` instead of
// matching message text, and the one place a broker's answer is turned into a sentence.

/** The management API could not be reached at all (refused, reset, timed out): "cannot tell", not "gone". */
export class UnreachableError extends Error {
    override readonly name = "UnreachableError";
    constructor(
        readonly url: string,
        detail: string,
        options?: ErrorOptions,
    ) {
        super(`the management API at ${url} could not be reached: ${detail}`, options);
    }
}

/** The management API answered with an HTTP error. `reason` is the broker's own sentence, decoded. */
export class ManagementApiError extends Error {
    override readonly name = "ManagementApiError";
    readonly reason: string;
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        body: string,
    ) {
        const reason = brokerReason(body);
        super(`the management API answered ${status} to ${method} ${path}${reason ? `: ${reason}` : ""}`);
        this.reason = reason;
    }
}

export const isUnreachable = (e: unknown): e is UnreachableError => e instanceof Error && e.name === "UnreachableError";

/** Whether `e` or any error in its `cause` chain passes `test`. */
export function causedBy(e: unknown, test: (x: unknown) => boolean): boolean {
    for (let x: unknown = e, depth = 0; x !== undefined && depth < 10; x = (x as Error).cause, depth++) {
        if (test(x)) return true;
        if (!(x instanceof Error)) return false;
    }
    return false;
}
export const isManagementApiError = (e: unknown): e is ManagementApiError =>
    e instanceof Error && e.name === "ManagementApiError" && typeof (e as ManagementApiError).status === "number";

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", "#39": "'", "#34": '"' };

/**
 * The reason in a management API error body, as one readable line: RabbitMQ answers
 * {"error": "bad_request", "reason": "..."} with the reason HTML-escaped
 * (`&lt;&lt;\"ten\"&gt;&gt; is not a valid maximum length`); Erlang binaries shown as
 * <<"ten">> become "ten".
 */
export function brokerReason(body: string): string {
    let text = body.trim();
    try {
        const parsed = JSON.parse(text) as { reason?: unknown; error?: unknown };
        const r = parsed.reason ?? parsed.error;
        text = typeof r === "string" ? r : JSON.stringify(r ?? parsed);
    } catch {
        // not JSON: a proxy's or cowboy's plain answer
    }
    text = text.replace(/&(lt|gt|amp|quot|apos|#39|#34);/g, (_, e: string) => ENTITIES[e]);
    text = text.replace(/\\"/g, '"').replace(/<<"([^"]*)">>/g, '"$1"');
    text = text.replace(/\s+/g, " ").trim();
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
