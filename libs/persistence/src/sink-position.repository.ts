import type { DataSource } from 'typeorm';

/** A connector's record of what it delivered (see the sink_position migration). */
export class SinkPositionRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sink: string,
  ) {}

  /** The source offset last delivered for the subject and purpose, or null. */
  async deliveredOffset(subjectId: string, purpose: string): Promise<bigint | null> {
    const rows: Array<{ source_offset: string }> = await this.dataSource.query(
      `SELECT source_offset FROM sink_position WHERE sink = $1 AND subject_id = $2 AND purpose = $3`,
      [this.sink, subjectId, purpose],
    );
    return rows[0] ? BigInt(rows[0].source_offset) : null;
  }

  /** Records a delivery, never moving the position backwards. */
  async recordDelivery(
    subjectId: string,
    purpose: string,
    sourceOffset: bigint,
    causeEventId: string,
    allowed: boolean,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO sink_position (sink, subject_id, purpose, source_offset, cause_event_id, allowed) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sink, subject_id, purpose) DO UPDATE SET source_offset = EXCLUDED.source_offset,
         cause_event_id = EXCLUDED.cause_event_id, allowed = EXCLUDED.allowed, delivered_at = now()
       WHERE sink_position.source_offset < EXCLUDED.source_offset`,
      [this.sink, subjectId, purpose, sourceOffset.toString(), causeEventId, allowed],
    );
  }
}
