/** A decision change as carried by consent.suppression.<purpose>.v1 (schemas/consent-decision). */
export interface SuppressionUpdate {
  readonly subjectId: string;
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly basis: string;
  readonly regime: string;
  readonly decidedBy: string | null;
  readonly causeEventId: string;
  readonly effectiveAt: Date;
  readonly causeRecordedAt: Date;
  readonly policyVersion: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: number;
}

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
