import type { ConsentEvent } from './consent-event';
import type { ConsentPolicy } from './consent-policy';
import { jurisdictionPattern, regimeFor } from './jurisdiction-regimes';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/** A rule a proposed event breaks, naming the field, with a stable code. */
export interface EventProblem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** How far in the future `occurredAt` may be, for clock skew between devices and us. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The fields a collection channel supplies; ids, times and the chain are added on acceptance. */
export type ProposedEvent = Omit<ConsentEvent, 'eventId' | 'recordedAt' | 'previousEventHash'>;

/**
 * The domain's rules for a proposed event, beyond its shape: a known, consent-based purpose; a
 * well-formed jurisdiction; a notice for every consent grant; explicit consent for sensitive
 * purposes under GDPR; GPC and expiry used only as they mean. Empty when the event is acceptable.
 */
export function validateProposedEvent(
  event: ProposedEvent,
  context: {
    readonly taxonomy: PurposeTaxonomy;
    readonly policy: ConsentPolicy;
    readonly now: Date;
  },
): EventProblem[] {
  const problems: EventProblem[] = [];
  const problem = (field: string, code: string, message: string) =>
    problems.push({ field, code, message });

  const purpose = context.taxonomy.purposes.get(event.purpose);
  if (!purpose) {
    problem(
      'purpose',
      'CONSENT.UNKNOWN_PURPOSE',
      `'${event.purpose}' is not in the purpose taxonomy (GET /v1/purposes)`,
    );
  } else if (purpose.basis === 'contract') {
    problem(
      'purpose',
      'CONSENT.PURPOSE_NOT_CONSENT_BASED',
      `'${event.purpose}' rests on the contract; consent cannot be granted or withdrawn`,
    );
  }
  if (!jurisdictionPattern.test(event.jurisdiction)) {
    problem(
      'jurisdiction',
      'CONSENT.INVALID_JURISDICTION',
      `'${event.jurisdiction}' is not ISO 3166-1 alpha-2 or ISO 3166-2 (DE, US-CA; ZZ if unknown)`,
    );
  }
  if (event.method === 'GLOBAL_PRIVACY_CONTROL' && event.action !== 'WITHDRAW') {
    problem(
      'method',
      'CONSENT.GPC_CANNOT_GRANT',
      'a Global Privacy Control signal can only opt out (action WITHDRAW)',
    );
  }
  if (event.action === 'EXPIRE' && event.actor.type !== 'SYSTEM') {
    problem(
      'action',
      'CONSENT.EXPIRE_RESERVED_FOR_SYSTEM',
      'EXPIRE is recorded by the system when a grant lapses',
    );
  }
  const consentGrant =
    event.action === 'GRANT' &&
    (event.legalBasis === 'CONSENT' || event.legalBasis === 'EXPLICIT_CONSENT');
  if (consentGrant && event.notice === null) {
    problem(
      'notice',
      'CONSENT.NOTICE_REQUIRED',
      'a consent grant must name the notice the person was shown (GDPR Art. 7(1))',
    );
  }
  const regime = regimeFor(event.jurisdiction, context.policy);
  const optIn = regime === 'GDPR' || regime === 'UK_GDPR' || regime === 'UNKNOWN';
  if (
    purpose?.usCategory === 'sensitive' &&
    event.action === 'GRANT' &&
    optIn &&
    event.legalBasis !== 'EXPLICIT_CONSENT'
  ) {
    problem(
      'legalBasis',
      'CONSENT.EXPLICIT_CONSENT_REQUIRED',
      'sensitive processing needs EXPLICIT_CONSENT (GDPR Art. 9(2)(a))',
    );
  }
  if (event.expiresAt !== null && event.expiresAt.getTime() <= event.occurredAt.getTime()) {
    problem(
      'expiresAt',
      'CONSENT.EXPIRY_NOT_AFTER_OCCURRENCE',
      'expiresAt must be after occurredAt',
    );
  }
  if (event.occurredAt.getTime() > context.now.getTime() + MAX_CLOCK_SKEW_MS) {
    problem(
      'occurredAt',
      'CONSENT.OCCURRED_IN_FUTURE',
      'occurredAt is more than 5 minutes in the future',
    );
  }
  return problems;
}
