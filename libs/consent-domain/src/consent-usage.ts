/** What was asked: a decision, a filtered record, an audience member, a training manifest entry. */
export const usageKinds = ['DECISION', 'FILTER', 'AUDIENCE', 'MANIFEST'] as const;
export type UsageKind = (typeof usageKinds)[number];

/**
 * One use of a person's data the system was asked to allow, as the usage log
 * (consent.decisions.v1, schemas/consent-usage) records it and auditors query it.
 */
export interface ConsentUsageRecord {
  readonly usageId: string;
  readonly kind: UsageKind;
  readonly subjectId: string;
  readonly purpose: string;
  /** The API key id of the caller. */
  readonly askedBy: string;
  readonly campaignId: string | null;
  readonly jobId: string | null;
  readonly manifestId: string | null;
  readonly allowed: boolean;
  readonly reason: string;
  /** The consent event the answer rested on; null when a regime default decided. */
  readonly decidingEventId: string | null;
  readonly policyVersion: string;
  /** The regime the answer was decided under; null for manifest entries and older records. */
  readonly regime: string | null;
  /**
   * The jurisdiction named in the request when the answer was decided under it; null when the
   * subject's own regime decided.
   */
  readonly jurisdiction: string | null;
  /** How far the deciding view had read the log. */
  readonly logPosition: string;
  readonly decidedAt: Date;
}
