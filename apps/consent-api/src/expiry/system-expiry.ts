import type { ConsentEventRequest } from '../record-consent/record-consent.request';

/** The grant a system EXPIRE ends: whose, of which purpose, under which law and basis. */
export interface EndedGrant {
  readonly subjectId: string;
  readonly purpose: string;
  readonly jurisdiction: string;
  readonly legalBasis: string;
}

/**
 * The system's EXPIRE of a grant, as the expiry schedule and a re-consent campaign's grace end
 * record it through the write path: `component` is the actor, `reference` the evidence, and the
 * idempotency key makes a repeat (another instance, a retry after a crash) the same event.
 */
export function systemExpiry(
  grant: EndedGrant,
  at: Date,
  component: 'consent-expiry' | 'reconsent',
  reference: string,
  idempotencyKey: string,
): ConsentEventRequest {
  return {
    subjectId: grant.subjectId,
    purpose: grant.purpose,
    action: 'EXPIRE',
    jurisdiction: grant.jurisdiction,
    legalBasis: grant.legalBasis as ConsentEventRequest['legalBasis'],
    channel: 'SYSTEM',
    method: 'SYSTEM',
    notice: null,
    occurredAt: at.toISOString(),
    expiresAt: null,
    actor: { type: 'SYSTEM', id: component },
    evidence: { ipAddressHash: null, userAgent: null, reference },
    ageBand: null,
    idempotencyKey,
  };
}
