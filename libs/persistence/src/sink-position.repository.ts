import type { DataSource } from 'typeorm';

/** A connector's record of what it delivered (see the sink_position migration). */
export class SinkPositionRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sink: string,
  ) {}

  /** The source offsets last delivered for these subject|purpose pairs (absent when never). */
  async deliveredOffsets(
    pairs: ReadonlyArray<{ subjectId: string; purpose: string }>,
  ): Promise<Map<string, bigint>> {
    if (pairs.length === 0) return new Map();
    const rows: Array<{ subject_id: string; purpose: string; source_offset: string }> =
      await this.dataSource.query(
        `SELECT subject_id, purpose, source_offset FROM sink_position
        WHERE sink = $1 AND (subject_id, purpose) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
        [this.sink, pairs.map((pair) => pair.subjectId), pairs.map((pair) => pair.purpose)],
      );
    return new Map(
      rows.map((row) => [`${row.subject_id}|${row.purpose}`, BigInt(row.source_offset)]),
    );
  }

  /**
   * Records a delivery: appended to sink_delivery (what the system was told and when, for proofs)
   * and kept as the position, which never moves backwards.
   */
  async recordDelivery(
    subjectId: string,
    purpose: string,
    sourceOffset: bigint,
    causeEventId: string,
    allowed: boolean,
  ): Promise<void> {
    await this.dataSource.query(
      `WITH delivery AS (
         INSERT INTO sink_delivery (sink, subject_id, purpose, source_offset, cause_event_id, allowed)
         VALUES ($1, $2, $3, $4, $5, $6))
       INSERT INTO sink_position (sink, subject_id, purpose, source_offset, cause_event_id, allowed) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sink, subject_id, purpose) DO UPDATE SET source_offset = EXCLUDED.source_offset,
         cause_event_id = EXCLUDED.cause_event_id, allowed = EXCLUDED.allowed, delivered_at = now()
       WHERE sink_position.source_offset < EXCLUDED.source_offset`,
      [this.sink, subjectId, purpose, sourceOffset.toString(), causeEventId, allowed],
    );
  }
}
