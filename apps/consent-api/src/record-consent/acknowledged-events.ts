import type { WritePathStore } from '@consent-ledger/persistence';

/** How long a failed delete waits before it is tried again. */
const RETRY_MS = 1_000;

/**
 * Forgets the records Kafka acknowledged (`unacknowledged_event`), in batches, off the path of
 * the answer: one DELETE for everything acknowledged while the previous one ran. Until a record's
 * row is gone, {@link has} says it was acknowledged, so that this instance does not send it again
 * (another instance may, which is harmless: an exact repeat by event id is one event everywhere).
 * A delete that fails (the database away) is tried again.
 */
export class AcknowledgedEvents {
  /** Acknowledged, row not yet deleted. */
  private readonly waiting = new Set<string>();
  private pending: string[] = [];
  private flushing?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly store: Pick<WritePathStore, 'forgetAcknowledged'>,
    private readonly onError: (error: Error) => void,
  ) {}

  add(eventIds: readonly string[]): void {
    for (const eventId of eventIds) this.waiting.add(eventId);
    this.pending.push(...eventIds);
    this.flushing ??= this.flush();
  }

  /** True while Kafka's acknowledgement of this record is known here but its row remains. */
  has(eventId: string): boolean {
    return this.waiting.has(eventId);
  }

  /** Resolves once everything added so far is deleted, or its delete failed once. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Drains, then tries no failed delete again: the app is closing (its database connection goes
   * next). What is left stays in the table, where the sweeper of a running instance finds it.
   */
  async stop(): Promise<void> {
    await this.drain();
    this.stopped = true;
  }

  private async flush(): Promise<void> {
    // Let the other answers of this tick add theirs first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let failed: string[] = [];
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.forgetAcknowledged(batch);
        for (const eventId of batch) this.waiting.delete(eventId);
      } catch (error) {
        this.onError(error as Error);
        failed = failed.concat(batch);
      }
    }
    this.flushing = undefined;
    if (failed.length > 0 && !this.stopped)
      setTimeout(() => {
        if (this.stopped) return;
        this.pending.push(...failed);
        this.flushing ??= this.flush();
      }, RETRY_MS).unref();
  }
}
