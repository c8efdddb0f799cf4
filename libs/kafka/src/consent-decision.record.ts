/**
 * A decision change on the wire (schemas/consent-decision), as consent.state.v1 and
 * consent.suppression.<purpose>.v1 carry it and as consumers decode it.
 */
export interface ConsentDecisionRecord {
  readonly subjectId: string;
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly basis: string;
  readonly regime: string;
  readonly decidedBy: string | null;
  /** The event that changed the decision: consumers apply each cause once. */
  readonly causeEventId: string;
  readonly effectiveAt: Date;
  readonly causeRecordedAt: Date;
  /** When an allowing decision stops allowing by itself (the grant's expiry); null (or absent, in a record written before the field) otherwise. */
  readonly allowedUntil?: Date | null;
  readonly policyVersion: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: number;
}
