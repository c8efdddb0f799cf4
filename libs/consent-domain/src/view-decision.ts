import type { ConsentPolicy } from './consent-policy';
import { UnknownPurposeError } from './decide';
import type { DecisionReason } from './decide';
import { defaultDecision, regimeFor, regimes } from './jurisdiction-regimes';
import type { Regime } from './jurisdiction-regimes';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/**
 * A decision as the projector published it to consent.state.v1: what the embedded view of that
 * topic holds for one subject and purpose.
 */
export interface PublishedDecision {
  readonly allowed: boolean;
  readonly reason: string;
  readonly basis: string;
  readonly regime: string;
  /** The purpose whose choice decided; null when the regime's default decided. */
  readonly decidedBy: string | null;
  readonly causeEventId: string;
  readonly policyVersion: string;
  /** When an allowing decision stops allowing by itself (the grant's expiry); null or absent if never. */
  readonly allowedUntil?: Date | null;
}

/** The reason only an answer from the view can give: it is too far behind the log (deny). */
export type ViewDecisionReason = DecisionReason | 'VIEW_BEHIND_LOG';

export interface ViewDecision {
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: ViewDecisionReason;
  readonly basis: string;
  readonly regime: Regime;
  /** The event whose choice decided; null when a default or the fail-closed rule decided. */
  readonly decidingEventId: string | null;
  /** The policy version the answer rests on. */
  readonly policyVersion: string;
  /**
   * The requested jurisdiction when the answer was decided under it; null when the subject's
   * own regime decided (nothing requested, or a requested one that would have loosened it).
   */
  readonly jurisdiction: string | null;
}

/** What the view knows about the subject beyond the purpose asked about. */
export interface SubjectFacts {
  /** The regime of the subject's published decisions, when the view holds any. */
  readonly regime: Regime | null;
  /** A published decision said the subject is a minor (MINOR_OPT_IN_REQUIRED). */
  readonly minor: boolean;
  /** The ERASE event of an erased subject (its record for every purpose, '*'); else absent. */
  readonly erasedBy?: string | null;
}

export interface ViewDecisionContext {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: ConsentPolicy;
  /**
   * Decide under this jurisdiction instead of the subject's last known one, as far as that makes
   * the answer stricter: an answer it would turn from denied into allowed stays denied unless
   * {@link jurisdictionMayLoosen}.
   */
  readonly jurisdiction?: string;
  /** The caller may loosen an answer by the jurisdiction it names (a scope of its own). */
  readonly jurisdictionMayLoosen?: boolean;
  /** The view is further behind the log than the configured bound. */
  readonly viewBehind: boolean;
  /**
   * The moment the answer is for (now): a published grant whose expiry has come is denied from
   * that instant, before the EXPIRE event's record arrives.
   */
  readonly at: Date;
}

/** The published grant's expiry has come by `at`. */
const expiredBy = ({ allowedUntil }: PublishedDecision, at: Date): boolean =>
  allowedUntil !== null && allowedUntil !== undefined && allowedUntil.getTime() <= at.getTime();

const asRegime = (value: string): Regime =>
  (regimes as readonly string[]).includes(value) ? (value as Regime) : 'UNKNOWN';

/**
 * The decision for one subject and purpose from what the projector published. An explicit choice
 * (granted, withdrawn, GPC, expired) holds under every regime; otherwise the regime's default
 * applies, under the requested jurisdiction or the subject's own. Fails closed: a consent-based
 * purpose is denied when the view is behind, and an unseen subject is denied where opt-in rules.
 */
export function decideFromView(
  published: PublishedDecision | undefined,
  purposeId: string,
  subject: SubjectFacts,
  context: ViewDecisionContext,
): ViewDecision {
  const own = decideUnder(null, published, purposeId, subject, context);
  if (!context.jurisdiction) return own;
  const requested = decideUnder(context.jurisdiction, published, purposeId, subject, context);
  // A jurisdiction named in the request is the caller's claim, not the subject's record: it may
  // deny what the subject's own regime allows, but allow what it denies only with the scope.
  if (requested.allowed && !own.allowed && !context.jurisdictionMayLoosen) return own;
  return requested;
}

/** The decision under a requested jurisdiction, or under the subject's own regime (null). */
function decideUnder(
  jurisdiction: string | null,
  published: PublishedDecision | undefined,
  purposeId: string,
  subject: SubjectFacts,
  context: ViewDecisionContext,
): ViewDecision {
  const purpose = context.taxonomy.purposes.get(purposeId);
  if (!purpose) throw new UnknownPurposeError(purposeId);
  const regime: Regime | null = jurisdiction
    ? regimeFor(jurisdiction, context.policy)
    : published
      ? asRegime(published.regime)
      : subject.regime;
  const answer = (
    allowed: boolean,
    reason: ViewDecisionReason,
    basis: string,
    decidingEventId: string | null = null,
    policyVersion = context.policy.version,
  ): ViewDecision => ({
    purpose: purposeId,
    allowed,
    reason,
    basis,
    regime: regime ?? 'UNKNOWN',
    decidingEventId,
    policyVersion,
    jurisdiction,
  });

  // An erased subject is denied every purpose, contract ones too, whatever else was published.
  if (subject.erasedBy)
    return answer(false, 'SUBJECT_ERASED', 'LEGAL_OBLIGATION', subject.erasedBy);
  if (purpose.basis === 'contract') return answer(true, 'CONTRACT_BASIS', 'CONTRACT');
  if (context.viewBehind) return answer(false, 'VIEW_BEHIND_LOG', 'CONSENT');
  if (published?.allowed && expiredBy(published, context.at))
    return answer(false, 'CONSENT_EXPIRED', published.basis, published.causeEventId);
  if (published && published.decidedBy !== null) {
    return answer(
      published.allowed,
      published.reason as ViewDecisionReason,
      published.basis,
      published.causeEventId,
      published.policyVersion,
    );
  }
  if (published && asRegime(published.regime) === regime) {
    return answer(
      published.allowed,
      published.reason as ViewDecisionReason,
      published.basis,
      null,
      published.policyVersion,
    );
  }
  const fallback = defaultDecision(regime ?? 'UNKNOWN', purpose, subject.minor ? 'UNDER_16' : null);
  if (!fallback.allowed && regime === null && fallback.reason === 'OPT_IN_REQUIRED') {
    return answer(false, 'NO_CONSENT_ON_RECORD', 'CONSENT');
  }
  return answer(fallback.allowed, fallback.reason, fallback.allowed ? 'OPT_OUT_NOTICE' : 'CONSENT');
}
