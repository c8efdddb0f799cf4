import type { ViewDecision } from '@consent-ledger/consent-domain';
import type { UsageEntry } from '@consent-ledger/kafka';

/** Who asked and for what: what the request says about the use of the answer. */
export interface UsageContext {
  readonly kind: 'DECISION' | 'FILTER' | 'AUDIENCE';
  readonly purpose: string;
  readonly askedBy: string;
  readonly campaignId?: string | undefined;
  readonly jobId?: string | undefined;
  /** The view's position, serialised once per request (or per snapshot of a long stream). */
  readonly logPosition: string;
}

/** The usage-log record of one answer. */
export function usageEntry(
  subjectId: string,
  decision: Pick<
    ViewDecision,
    'allowed' | 'reason' | 'decidingEventId' | 'policyVersion' | 'regime' | 'jurisdiction'
  >,
  context: UsageContext,
): UsageEntry {
  return {
    kind: context.kind,
    subjectId,
    purpose: context.purpose,
    askedBy: context.askedBy,
    campaignId: context.campaignId ?? null,
    jobId: context.jobId ?? null,
    manifestId: null,
    allowed: decision.allowed,
    reason: decision.reason,
    decidingEventId: decision.decidingEventId,
    policyVersion: decision.policyVersion,
    regime: decision.regime,
    jurisdiction: decision.jurisdiction,
    logPosition: context.logPosition,
  };
}
