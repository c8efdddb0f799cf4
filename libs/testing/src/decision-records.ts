import type { ConsentDecisionRecord } from '@consent-ledger/kafka';
import { v7 as uuidv7 } from 'uuid';

/**
 * A decision change as consent.state.v1 and the suppression topics carry it: a withdrawal under
 * GDPR unless `allowed`, caused by a fresh event id, at `sourceOffset` of a test topic.
 */
export function fixtureDecisionRecord(
  subjectId: string,
  purpose: string,
  { allowed = false, sourceOffset = 1, ...overrides }: Partial<ConsentDecisionRecord> = {},
): ConsentDecisionRecord {
  return {
    subjectId,
    purpose,
    allowed,
    reason: allowed ? 'CONSENT_GRANTED' : 'CONSENT_WITHDRAWN',
    basis: 'CONSENT',
    regime: 'GDPR',
    decidedBy: purpose,
    causeEventId: uuidv7(),
    effectiveAt: new Date(),
    causeRecordedAt: new Date(),
    policyVersion: 'test',
    sourceTopic: 'test',
    sourcePartition: 0,
    sourceOffset,
    ...overrides,
  };
}
