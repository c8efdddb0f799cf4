import type { EntityManager } from 'typeorm';

/**
 * Checkpoints stored with the view they describe. {@link lockNextOffset} takes a row lock, so
 * two consumers that briefly both believe they own a partition (during a rebalance) apply each
 * record once: the second waits, then sees the advanced offset and skips.
 */
export class ProjectionCheckpointRepository {
  constructor(private readonly projection: string) {}

  /** Locks the partition's checkpoint for this transaction and returns the next offset to apply. */
  async lockNextOffset(manager: EntityManager, topic: string, partition: number): Promise<bigint> {
    await manager.query(
      `INSERT INTO projection_checkpoint (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING`,
      [this.projection, topic, partition],
    );
    const rows: Array<{ next_offset: string }> = await manager.query(
      `SELECT next_offset FROM projection_checkpoint WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [this.projection, topic, partition],
    );
    return BigInt(rows[0]!.next_offset);
  }

  async advance(
    manager: EntityManager,
    topic: string,
    partition: number,
    nextOffset: bigint,
  ): Promise<void> {
    await manager.query(
      `UPDATE projection_checkpoint SET next_offset = $4, updated_at = now()
        WHERE projection = $1 AND topic = $2 AND partition = $3`,
      [this.projection, topic, partition, nextOffset.toString()],
    );
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
