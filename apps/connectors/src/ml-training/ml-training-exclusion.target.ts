import type { DataSource } from 'typeorm';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { VendorBusyError } from '../vendor-http';

/**
 * The ML-training "vendor" is our own exclusion table: one row per subject and purpose with the
 * latest decision, never moved back by an older update (source offset).
 */
export class MlTrainingExclusionTarget implements SuppressionTarget {
  readonly name = 'ml-training';
  readonly maxUpdatesPerCall = 500;

  constructor(private readonly dataSource: DataSource) {}

  callKey(): string {
    return 'exclusions';
  }

  async deliver(updates: readonly SuppressionUpdate[]): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO ml_training_exclusion (subject_id, purpose, allowed, reason, cause_event_id, source_offset)
         SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::uuid[], $6::bigint[])
         ON CONFLICT (subject_id, purpose) DO UPDATE SET allowed = EXCLUDED.allowed, reason = EXCLUDED.reason,
           cause_event_id = EXCLUDED.cause_event_id, source_offset = EXCLUDED.source_offset, updated_at = now()
         WHERE ml_training_exclusion.source_offset < EXCLUDED.source_offset`,
        [
          updates.map((update) => update.subjectId),
          updates.map((update) => update.purpose),
          updates.map((update) => update.allowed),
          updates.map((update) => update.reason),
          updates.map((update) => update.causeEventId),
          updates.map((update) => update.sourceOffset),
        ],
      );
    } catch (error) {
      throw new VendorBusyError(
        'ML.EXCLUSION_WRITE_FAILED',
        `cannot write the exclusion table: ${(error as Error).message}`,
      );
    }
  }
}
