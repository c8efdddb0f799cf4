/**
 * kafkajs hands each partition of a fetch to `eachBatch` on its own, but starts them all in the
 * same tick when `partitionsConsumedConcurrently` covers them (see {@link GATHERED_PARTITIONS}).
 * This gathers the batches submitted in one tick and applies them together, so a fetch that
 * returned six partitions costs one database round trip or one vendor call instead of six. Each
 * submitter gets its own batch's outcome; if applying fails, every submitter of the group gets
 * the error (and kafkajs retries each of their batches).
 */
export class FetchBatchGatherer<Batch, Outcome> {
  private waiting: Array<Waiting<Batch, Outcome>> = [];

  constructor(private readonly applyAll: (batches: Batch[]) => Promise<Outcome[]>) {}

  submit(batch: Batch): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      // setImmediate runs after the microtasks of this tick: every batch of the fetch is in.
      if (this.waiting.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.waiting;
    this.waiting = [];
    this.applyAll(group.map((entry) => entry.batch)).then(
      (outcomes) => group.forEach((entry, index) => entry.resolve(outcomes[index]!)),
      (error: unknown) => group.forEach((entry) => entry.reject(error)),
    );
  }
}

/**
 * `partitionsConsumedConcurrently` for consumers that gather their batches: at least as many as
 * the partitions one consumer may be assigned, so every batch of a fetch starts in the same tick.
 */
export const GATHERED_PARTITIONS = 64;

interface Waiting<Batch, Outcome> {
  readonly batch: Batch;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}
