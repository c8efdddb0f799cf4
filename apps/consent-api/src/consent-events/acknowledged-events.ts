import type { DataSource } from 'typeorm';

/**
 * Forgets the records Kafka acknowledged (`unacknowledged_event`), in batches, off the path of
 * the answer: one DELETE for everything acknowledged while the previous one ran. A delete that
 * fails (the database away) leaves the rows; the sweeper then sends those records again, which is
 * harmless (an exact repeat by event id is one event everywhere).
 */
export class AcknowledgedEvents {
  private pending: string[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly onError: (error: Error) => void,
  ) {}

  add(eventIds: readonly string[]): void {
    this.pending.push(...eventIds);
    this.flushing ??= this.flush();
  }

  /** Resolves once everything added so far is deleted (or the attempt failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    // Let the other answers of this tick add theirs first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.dataSource.query(
          'DELETE FROM unacknowledged_event WHERE event_id = ANY($1::uuid[])',
          [batch],
        );
      } catch (error) {
        this.onError(error as Error);
      }
    }
    this.flushing = undefined;
  }
}
