import type { EntityManager } from 'typeorm';
import type { SqlRead, SqlWrite } from './combined-writes';

/** A partition's checkpoint moving from the offset that was read to the next one. */
export interface CheckpointMove {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/**
 * Checkpoints stored with the view they describe, moved optimistically: a projection reads the
 * next offsets without a lock ({@link nextOffsetsRead}) and moves them in the statement that
 * writes the view ({@link advanceWrite}), which writes nothing unless every checkpoint still
 * stands where it was read. Two consumers that briefly both believe they own a partition (during
 * a rebalance) therefore apply each record once: the second one's write fails, it reads again and
 * skips what the first applied.
 */
export class ProjectionCheckpointRepository {
  constructor(private readonly projection: string) {}

  /** The next offset of each of these partitions that has a checkpoint (run with runReads). */
  nextOffsetsRead(topic: string, partitions: readonly number[]): SqlRead {
    return {
      sql: `SELECT partition, next_offset::text AS next_offset FROM projection_checkpoint
             WHERE projection = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      params: [this.projection, topic, partitions],
    };
  }

  /** The offsets from {@link nextOffsetsRead}'s rows; partitions without a checkpoint are absent. */
  nextOffsetsFrom(rows: readonly unknown[]): Map<number, bigint> {
    return new Map(
      (rows as ReadonlyArray<{ partition: number; next_offset: string }>).map((row) => [
        row.partition,
        BigInt(row.next_offset),
      ]),
    );
  }

  /** Creates the checkpoints these partitions lack, at offset 0 (once per partition, ever). */
  async create(
    manager: EntityManager,
    topic: string,
    partitions: readonly number[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO projection_checkpoint (projection, topic, partition, next_offset)
       SELECT $1, $2, unnest($3::int[]), 0 ON CONFLICT DO NOTHING`,
      [this.projection, topic, partitions],
    );
  }

  /**
   * Moves the checkpoints (run it with runWrites, with the view's writes): the statement fails and
   * writes nothing if any of them no longer stands at its `from`.
   */
  advanceWrite(topic: string, moves: readonly CheckpointMove[]): SqlWrite | undefined {
    if (moves.length === 0) return undefined;
    return {
      sql: `UPDATE projection_checkpoint c SET next_offset = m.next_offset, updated_at = now()
              FROM unnest($3::int[], $4::bigint[], $5::bigint[]) AS m(partition, read_offset, next_offset)
             WHERE c.projection = $1 AND c.topic = $2 AND c.partition = m.partition
               AND c.next_offset = m.read_offset
            RETURNING c.partition`,
      params: [
        this.projection,
        topic,
        moves.map((move) => move.partition),
        moves.map((move) => move.from.toString()),
        moves.map((move) => move.to.toString()),
      ],
      expectRows: moves.length,
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
