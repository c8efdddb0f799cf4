import type { ConsentDecisionRecord } from '@consent-ledger/kafka';

/** A decision change as carried by consent.suppression.<purpose>.v1. */
export type SuppressionUpdate = ConsentDecisionRecord;

/** A downstream vendor that can be told about one update. */
export interface SuppressionTarget {
  /** The downstream system's name in downstream-systems.yaml. */
  readonly name: string;
  /**
   * Applies the update at the vendor. Throws RetriableError (429, 5xx, timeouts; with
   * `retryAfterMs` when the vendor said) or NonRetriableError (the vendor refuses the request).
   */
  deliver(update: SuppressionUpdate): Promise<void>;
}
