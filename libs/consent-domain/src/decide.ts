import { EVERY_PURPOSE } from './consent-event';
import type { LegalBasis } from './consent-event';
import { compareVersions } from './consent-policy';
import type { ConsentPolicy } from './consent-policy';
import { isLater } from './consent-state';
import type { PurposeChoice, SubjectConsentState } from './consent-state';
import { defaultDecision, regimeFor } from './jurisdiction-regimes';
import type { DefaultReason, Regime } from './jurisdiction-regimes';
import { lineageOf } from './purpose-taxonomy';
import type { Purpose, PurposeTaxonomy } from './purpose-taxonomy';

/** Stable reason codes; clients may branch on them. */
export type DecisionReason =
  | DefaultReason
  | 'CONSENT_GRANTED'
  | 'CONSENT_WITHDRAWN'
  | 'GPC_OPT_OUT'
  | 'CONSENT_EXPIRED'
  | 'RECONSENT_REQUIRED'
  /** Nothing is known of the subject (no event), and the strictest rule applies: opt-in. */
  | 'NO_CONSENT_ON_RECORD'
  /** The person was erased: every purpose is denied for good. */
  | 'SUBJECT_ERASED';

export interface ConsentDecision {
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** The legal basis the answer rests on. */
  readonly basis: LegalBasis;
  readonly regime: Regime;
  /** The event that decided, or null when the regime's default decided. */
  readonly sinceEventId: string | null;
  /** The purpose whose choice decided: the purpose itself or an ancestor (`marketing`). */
  readonly decidedBy: string | null;
  /**
   * When an allowing answer stops allowing by itself: the deciding grant's expiry. Absent when
   * nothing but a later event changes the answer.
   */
  readonly allowedUntil?: Date;
}

export interface DecideOptions {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: ConsentPolicy;
  /**
   * The moment the decision is for: grants that expired by then are denied. For a past moment,
   * fold only the events up to it (the state holds each purpose's latest choice only).
   */
  readonly at: Date;
  /** Overrides the subject's last known jurisdiction (e.g. the request's). */
  readonly jurisdiction?: string;
}

export class UnknownPurposeError extends Error {
  readonly code = 'CONSENT.UNKNOWN_PURPOSE';
  constructor(readonly purpose: string) {
    super(`Unknown purpose '${purpose}'`);
  }
}

/** The latest choice about the purpose or any of its ancestors. */
export function decidingChoice(
  state: SubjectConsentState,
  lineage: readonly string[],
): PurposeChoice | null {
  let latest: PurposeChoice | null = null;
  for (const id of lineage) {
    const choice = state.choices[id];
    if (choice && isLater(choice, latest)) latest = choice;
  }
  return latest;
}

/** No event of the subject is known and no jurisdiction was asked about: nothing to go on. */
function neverSeen(state: SubjectConsentState, options: DecideOptions): boolean {
  return state.jurisdiction === null && options.jurisdiction === undefined;
}

/** Whether a grant was given under a notice older than the policy's minimum for it (re-consent). */
export function isStale(
  choice: PurposeChoice,
  policy: Pick<ConsentPolicy, 'minimumNoticeVersions'>,
): boolean {
  const minimum = choice.notice ? policy.minimumNoticeVersions[choice.notice.noticeId] : undefined;
  return (
    minimum !== undefined &&
    choice.notice !== null &&
    compareVersions(choice.notice.version, minimum) < 0
  );
}

function fromDefault(
  purpose: Purpose,
  regime: Regime,
  state: SubjectConsentState,
  reasonIfDenied?: DecisionReason,
): ConsentDecision {
  const fallback = defaultDecision(regime, purpose, state.ageBand);
  return {
    purpose: purpose.id,
    allowed: fallback.allowed,
    reason:
      !fallback.allowed &&
      reasonIfDenied &&
      (reasonIfDenied !== 'NO_CONSENT_ON_RECORD' || fallback.reason === 'OPT_IN_REQUIRED')
        ? reasonIfDenied
        : fallback.reason,
    basis:
      purpose.basis === 'contract' ? 'CONTRACT' : fallback.allowed ? 'OPT_OUT_NOTICE' : 'CONSENT',
    regime,
    sinceEventId: null,
    decidedBy: null,
  };
}

/**
 * Whether the subject's data may be used for `purpose` at `at`, why, on which legal basis and
 * since which event. Pure: the same state, purpose and options always give the same answer.
 */
export function decide(
  state: SubjectConsentState,
  purposeId: string,
  options: DecideOptions,
): ConsentDecision {
  const purpose = options.taxonomy.purposes.get(purposeId);
  if (!purpose) throw new UnknownPurposeError(purposeId);
  const regime = regimeFor(options.jurisdiction ?? state.jurisdiction ?? 'ZZ', options.policy);
  const erasure = state.choices[EVERY_PURPOSE];
  if (erasure?.action === 'ERASE')
    return {
      purpose: purposeId,
      allowed: false,
      reason: 'SUBJECT_ERASED',
      basis: 'LEGAL_OBLIGATION',
      regime,
      sinceEventId: erasure.eventId,
      decidedBy: EVERY_PURPOSE,
    };
  if (purpose.basis === 'contract') return fromDefault(purpose, regime, state);

  const choice = decidingChoice(state, lineageOf(options.taxonomy, purposeId));
  if (choice === null)
    return fromDefault(
      purpose,
      regime,
      state,
      neverSeen(state, options) ? 'NO_CONSENT_ON_RECORD' : undefined,
    );

  const decided = (
    allowed: boolean,
    reason: DecisionReason,
    basis: LegalBasis,
  ): ConsentDecision => ({
    purpose: purposeId,
    allowed,
    reason,
    basis,
    regime,
    sinceEventId: choice.eventId,
    decidedBy: choice.purpose,
  });
  switch (choice.action) {
    case 'WITHDRAW':
      return decided(
        false,
        choice.method === 'GLOBAL_PRIVACY_CONTROL' ? 'GPC_OPT_OUT' : 'CONSENT_WITHDRAWN',
        choice.legalBasis,
      );
    case 'EXPIRE':
      return decided(false, 'CONSENT_EXPIRED', choice.legalBasis);
    case 'ERASE':
      // Only ever the choice about every purpose, answered above.
      return decided(false, 'SUBJECT_ERASED', 'LEGAL_OBLIGATION');
    case 'GRANT':
      if (choice.expiresAt !== null && choice.expiresAt.getTime() <= options.at.getTime()) {
        return decided(false, 'CONSENT_EXPIRED', choice.legalBasis);
      }
      if (isStale(choice, options.policy))
        return fromDefault(purpose, regime, state, 'RECONSENT_REQUIRED');
      return choice.expiresAt === null
        ? decided(true, 'CONSENT_GRANTED', choice.legalBasis)
        : {
            ...decided(true, 'CONSENT_GRANTED', choice.legalBasis),
            allowedUntil: choice.expiresAt,
          };
    default: {
      const unreachable: never = choice.action;
      throw new Error(`unhandled action ${String(unreachable)}`);
    }
  }
}
