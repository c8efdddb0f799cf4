import { EVERY_PURPOSE } from '@consent-ledger/consent-domain';
import type { ConsentDecisionRecord } from '@consent-ledger/kafka';

/**
 * A decision change as carried by consent.suppression.<purpose>.v1, or an erasure as carried by
 * consent.erasures.v1 (purpose '*', reason SUBJECT_ERASED): the system deletes the person.
 */
export type SuppressionUpdate = ConsentDecisionRecord;

/** Whether the update is an erasure: the downstream system is to delete the person. */
export const isErasure = (update: Pick<SuppressionUpdate, 'purpose'>): boolean =>
  update.purpose === EVERY_PURPOSE;

/** A downstream vendor that can be told about updates, several in one call where its API allows. */
export interface SuppressionTarget {
  /** The downstream system's name in downstream-systems.yaml. */
  readonly name: string;
  /** Most updates one call may carry (the vendor API's batch limit). */
  readonly maxUpdatesPerCall: number;
  /** Updates with the same key may share a call (same subscription group and state, say). */
  callKey(update: SuppressionUpdate): string;
  /**
   * Applies the updates (one per subject and purpose, same call key) in one call, all or
   * nothing. `idempotencyKey` is the same each time this call is sent. Throws RetriableError
   * (429, 5xx, timeouts; with `retryAfterMs` when the vendor said) or NonRetriableError (the
   * vendor refuses the request).
   */
  deliver(updates: readonly SuppressionUpdate[], idempotencyKey: string): Promise<void>;
}

/** An update as stored in a call's intent (JSON: its dates are strings). */
export function revivedUpdate(stored: unknown): SuppressionUpdate {
  const update = stored as SuppressionUpdate & {
    effectiveAt: string;
    causeRecordedAt: string;
    allowedUntil?: string | null;
  };
  return {
    ...update,
    effectiveAt: new Date(update.effectiveAt),
    causeRecordedAt: new Date(update.causeRecordedAt),
    allowedUntil: update.allowedUntil ? new Date(update.allowedUntil) : null,
  };
}
