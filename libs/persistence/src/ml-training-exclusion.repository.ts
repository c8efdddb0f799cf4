import type { DataSource } from 'typeorm';

/** The latest decision for one subject and purpose, as the ML-training exclusion table keeps it. */
export interface ExclusionDecision {
  readonly subjectId: string;
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly causeEventId: string;
  readonly sourceOffset: number;
  /** When an allowing decision stops by itself (the grant's expiry); null or absent if never. */
  readonly allowedUntil?: Date | null;
}

/**
 * The ML-training exclusion table: one row per subject and purpose with the latest decision,
 * never moved back by an older one (source offset).
 */
export class MlTrainingExclusionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async apply(decisions: readonly ExclusionDecision[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ml_training_exclusion
         (subject_id, purpose, allowed, reason, cause_event_id, source_offset, allowed_until)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::uuid[], $6::bigint[],
         $7::timestamptz[])
       ON CONFLICT (subject_id, purpose) DO UPDATE SET allowed = EXCLUDED.allowed, reason = EXCLUDED.reason,
         cause_event_id = EXCLUDED.cause_event_id, source_offset = EXCLUDED.source_offset,
         allowed_until = EXCLUDED.allowed_until, updated_at = now()
       WHERE ml_training_exclusion.source_offset < EXCLUDED.source_offset`,
      [
        decisions.map((decision) => decision.subjectId),
        decisions.map((decision) => decision.purpose),
        decisions.map((decision) => decision.allowed),
        decisions.map((decision) => decision.reason),
        decisions.map((decision) => decision.causeEventId),
        decisions.map((decision) => decision.sourceOffset),
        decisions.map((decision) => decision.allowedUntil ?? null),
      ],
    );
  }
}
