import type { MlTrainingExclusionRepository } from '@consent-ledger/persistence';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { VendorBusyError } from '../vendor-http';

/**
 * The ML-training "vendor" is our own exclusion table: one row per subject and purpose with the
 * latest decision, never moved back by an older update (source offset).
 */
export class MlTrainingExclusionTarget implements SuppressionTarget {
  readonly name = 'ml-training';
  readonly maxUpdatesPerCall = 500;

  constructor(private readonly exclusions: MlTrainingExclusionRepository) {}

  callKey(): string {
    return 'exclusions';
  }

  async deliver(updates: readonly SuppressionUpdate[]): Promise<void> {
    try {
      await this.exclusions.apply(updates);
    } catch (error) {
      throw new VendorBusyError(
        'ML.EXCLUSION_WRITE_FAILED',
        `cannot write the exclusion table: ${(error as Error).message}`,
      );
    }
  }
}
