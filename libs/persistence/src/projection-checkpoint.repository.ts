import type { EntityManager } from 'typeorm';
import type { SqlWrite } from './combined-writes';

/**
 * Checkpoints stored with the view they describe. {@link lockNextOffset} takes a row lock, so
 * two consumers that briefly both believe they own a partition (during a rebalance) apply each
 * record once: the second waits, then sees the advanced offset and skips.
 */
export class ProjectionCheckpointRepository {
  constructor(private readonly projection: string) {}

  /**
   * Locks the partition's checkpoint for this transaction and returns the next offset to apply.
   * The row exists after a partition's first batch, so the common case is one statement.
   */
  async lockNextOffset(manager: EntityManager, topic: string, partition: number): Promise<bigint> {
    const lock = (): Promise<Array<{ next_offset: string }>> =>
      manager.query(
        `SELECT next_offset FROM projection_checkpoint WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
        [this.projection, topic, partition],
      );
    let rows = await lock();
    if (rows.length === 0) {
      // A new statement after the INSERT: it sees a row another consumer inserted meanwhile.
      await manager.query(
        `INSERT INTO projection_checkpoint (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING`,
        [this.projection, topic, partition],
      );
      rows = await lock();
    }
    return BigInt(rows[0]!.next_offset);
  }

  /** Moves the checkpoint (run it with {@link runWrites}, in the transaction that locked it). */
  advanceWrite(topic: string, partition: number, nextOffset: bigint): SqlWrite {
    return {
      sql: `UPDATE projection_checkpoint SET next_offset = $4, updated_at = now()
        WHERE projection = $1 AND topic = $2 AND partition = $3`,
      params: [this.projection, topic, partition, nextOffset.toString()],
    };
  }

  /** Every partition's next offset, for lag reporting. */
  async all(manager: EntityManager, topic: string): Promise<Map<number, bigint>> {
    const rows: Array<{ partition: number; next_offset: string }> = await manager.query(
      `SELECT partition, next_offset FROM projection_checkpoint WHERE projection = $1 AND topic = $2`,
      [this.projection, topic],
    );
    return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]));
  }
}
