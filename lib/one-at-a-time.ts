// One job at a time per group, within this process. Every burrow resource of an up is
// served by the same dynamic-provider plugin process, so a rule such as "a cluster restarts
// one node at a time" can live in the provider instead of in resource dependencies (which
// would also make the cluster's first creation one node after the other).

/** A job of a group that could not run because an earlier job of the same group failed. */
export class EarlierJobFailed extends Error {
    constructor(
        readonly job: string,
        readonly failed: string,
    ) {
        super(`${job}: not started, because ${failed} failed first`);
    }
}

/**
 * Runs the jobs of one group one after the other, in the order they arrive; jobs of other
 * groups run alongside. Once a job of a group fails, the group's later jobs are refused
 * without being run (an EarlierJobFailed naming the failed one): a rolling restart stops at
 * the first node that fails, as it would one resource after the other.
 */
export class OneAtATime {
    private readonly tails = new Map<string, Promise<unknown>>();
    private readonly failed = new Map<string, string>();

    run<T>(group: string, what: string, job: () => Promise<T>): Promise<T> {
        const previous = this.tails.get(group) ?? Promise.resolve();
        const mine = previous
            .catch(() => undefined)
            .then(async () => {
                const first = this.failed.get(group);
                if (first !== undefined) throw new EarlierJobFailed(what, first);
                try {
                    return await job();
                } catch (e) {
                    this.failed.set(group, what);
                    throw e;
                }
            });
        this.tails.set(group, mine);
        return mine;
    }
}
