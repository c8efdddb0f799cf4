import { EVERY_PURPOSE } from './consent-event';
import type { CollectionChannel, ConsentEvent } from './consent-event';
import type { ConsentPolicy } from './consent-policy';
import { directIdentifierProblem, isKnownJurisdiction, opaqueIdProblem } from './identifiers';
import type { OpaqueIdRules } from './identifiers';
import { regimeFor } from './jurisdiction-regimes';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/** A rule a proposed event breaks, naming the field, with a stable code. */
export interface EventProblem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** How far in the future `occurredAt` may be, for clock skew between devices and us. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How far before now `occurredAt` may lie: a live channel records a choice soon after it was
 * made; older choices come in through the IMPORT channel, whose window is longer.
 */
export interface BackdatingWindow {
  readonly maxMs: number;
  readonly importMaxMs: number;
}

/** Who is writing, as far as the rules care: the channels its key may claim, its window. */
export interface EventWriterLimits {
  /** The channels the writer's key may record; undefined when it is not bound to any. */
  readonly allowedChannels?: readonly CollectionChannel[];
  /** Undefined for the system's own events (an expiry recorded late is still on time). */
  readonly backdating?: BackdatingWindow;
}

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
    readonly writer?: EventWriterLimits;
    /** What subject and actor ids may look like; the default refuses direct identifiers. */
    readonly identifiers?: OpaqueIdRules;
  },
): EventProblem[] {
  const problems: EventProblem[] = [];
  const problem = (field: string, code: string, message: string) =>
    problems.push({ field, code, message });

  const subjectIdProblem = opaqueIdProblem(event.subjectId, context.identifiers);
  if (subjectIdProblem) problem('subjectId', subjectIdProblem.code, subjectIdProblem.message);
  const actorIdProblem =
    event.actor.id === null
      ? undefined
      : directIdentifierProblem(event.actor.id, context.identifiers);
  if (actorIdProblem) problem('actor.id', actorIdProblem.code, actorIdProblem.message);

  const purpose = context.taxonomy.purposes.get(event.purpose);
  if (event.action === 'ERASE' || event.purpose === EVERY_PURPOSE) {
    if (event.action !== 'ERASE' || event.purpose !== EVERY_PURPOSE)
      problem(
        'purpose',
        'CONSENT.ERASE_IS_FOR_EVERY_PURPOSE',
        `ERASE is recorded for every purpose ('${EVERY_PURPOSE}') and '${EVERY_PURPOSE}' only by ERASE`,
      );
    if (event.actor.type !== 'SYSTEM')
      problem(
        'action',
        'CONSENT.ERASE_RESERVED_FOR_SYSTEM',
        'ERASE is recorded by the system on an erasure request (POST /v1/subjects/{id}/erasure)',
      );
  } else if (!purpose) {
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
  if (!isKnownJurisdiction(event.jurisdiction)) {
    problem(
      'jurisdiction',
      'CONSENT.INVALID_JURISDICTION',
      `'${event.jurisdiction}' is no ISO 3166-1 alpha-2 or ISO 3166-2 code that exists (DE, US-CA; ZZ if unknown)`,
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
  problems.push(...writerProblems(event, context.now, context.writer ?? {}));
  return problems;
}

const DAY_MS = 86_400_000;

/** What the writer's key may not do: claim another channel, or backdate past its window. */
function writerProblems(
  event: ProposedEvent,
  now: Date,
  writer: EventWriterLimits,
): EventProblem[] {
  const problems: EventProblem[] = [];
  if (writer.allowedChannels && !writer.allowedChannels.includes(event.channel)) {
    problems.push({
      field: 'channel',
      code: 'CONSENT.CHANNEL_NOT_ALLOWED_FOR_KEY',
      message: `this API key may record events of channel ${writer.allowedChannels.join(', ')} only`,
    });
  }
  if (writer.backdating) {
    const imported = event.channel === 'IMPORT';
    const windowMs = imported ? writer.backdating.importMaxMs : writer.backdating.maxMs;
    if (event.occurredAt.getTime() < now.getTime() - windowMs) {
      const days = Math.round(windowMs / DAY_MS);
      problems.push({
        field: 'occurredAt',
        code: 'CONSENT.OCCURRED_TOO_LONG_AGO',
        message: imported
          ? `occurredAt is more than ${days} days ago, further back than imports may reach`
          : `occurredAt is more than ${days} days ago; older choices come in through the IMPORT channel`,
      });
    }
  }
  return problems;
}
