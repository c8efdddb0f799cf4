import type { ConsentPolicy } from './consent-policy';
import type { FoldableEvent, SubjectConsentState } from './consent-state';
import { decidingChoice, isStale } from './decide';
import { EVERY_PURPOSE } from './consent-event';
import { lineageOf } from './purpose-taxonomy';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/**
 * Where a person stands on a consent-based purpose, as a compliance team counts it: agreed and in
 * force, withdrawn, expired, agreed under a notice older than the policy's minimum (re-consent
 * needed), never asked, or erased.
 */
export const consentStandings = [
  'ACTIVE',
  'WITHDRAWN',
  'EXPIRED',
  'LAPSED_NOTICE',
  'NEVER_ASKED',
  'ERASED',
] as const;
export type ConsentStanding = (typeof consentStandings)[number];

/** What standings are judged by: the purposes and the policy (for notice minimums). */
export interface StandingContext {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: Pick<ConsentPolicy, 'minimumNoticeVersions'>;
}

/** The jurisdiction a subject is counted under when none is known. */
const UNKNOWN_JURISDICTION = 'ZZ';

/**
 * The subject's standing on the purpose, from the choices the log recorded (its own or an
 * ancestor's), not from the clock: a grant past its expiry stands until the system's EXPIRE event,
 * so that counts kept event by event equal a count of the states, and a replay of the log rebuilds
 * them exactly.
 */
export function standingOf(
  state: SubjectConsentState,
  purposeId: string,
  context: StandingContext,
): ConsentStanding {
  if (state.choices[EVERY_PURPOSE]?.action === 'ERASE') return 'ERASED';
  const choice = decidingChoice(state, lineageOf(context.taxonomy, purposeId));
  if (choice === null) return 'NEVER_ASKED';
  switch (choice.action) {
    case 'GRANT':
      return isStale(choice, context.policy) ? 'LAPSED_NOTICE' : 'ACTIVE';
    case 'WITHDRAW':
      return 'WITHDRAWN';
    case 'EXPIRE':
      return 'EXPIRED';
    case 'ERASE':
      return 'ERASED';
  }
}

/** One counter's change: subjects of this purpose, jurisdiction and standing, plus or minus. */
export interface StandingCountChange {
  readonly purpose: string;
  readonly jurisdiction: string;
  readonly standing: ConsentStanding;
  readonly delta: 1 | -1;
}

/** The consent-based purposes of the taxonomy, the ones standings are counted for. */
export function countedPurposes(taxonomy: PurposeTaxonomy): string[] {
  return [...taxonomy.purposes.values()]
    .filter((purpose) => purpose.basis === 'consent')
    .map((purpose) => purpose.id);
}

/**
 * How the counters move when a subject's state goes from `before` to `after` (one event folded):
 * for each consent-based purpose whose standing or jurisdiction changed, minus one where the
 * subject stood, plus one where it stands now. A subject not known before is counted from the
 * event that first names it.
 */
export function standingCountChanges(
  before: SubjectConsentState,
  after: SubjectConsentState,
  context: StandingContext,
): StandingCountChange[] {
  const changes: StandingCountChange[] = [];
  const known = before.subjectId !== null;
  const from = before.jurisdiction ?? UNKNOWN_JURISDICTION;
  const to = after.jurisdiction ?? UNKNOWN_JURISDICTION;
  for (const purpose of countedPurposes(context.taxonomy)) {
    const was = known ? standingOf(before, purpose, context) : undefined;
    const is = standingOf(after, purpose, context);
    if (was === is && from === to) continue;
    if (was !== undefined) changes.push({ purpose, jurisdiction: from, standing: was, delta: -1 });
    changes.push({ purpose, jurisdiction: to, standing: is, delta: 1 });
  }
  return changes;
}

/** One day's tally change for a purpose: choices made that day (UTC), by kind. */
export interface DailyTallyChange {
  readonly purpose: string;
  readonly jurisdiction: string;
  /** The day the person acted (UTC), `YYYY-MM-DD`. */
  readonly day: string;
  readonly grants: number;
  readonly withdrawals: number;
}

/**
 * What one event adds to the daily tallies the opt-in and revocation rates are drawn from: a grant
 * or a withdrawal of a consent-based purpose, on the day the person acted. Expiries and erasures
 * are the system's, not choices, and are counted by the standings instead.
 */
export function dailyTallyChange(
  event: Pick<FoldableEvent, 'purpose' | 'action' | 'jurisdiction' | 'occurredAt'>,
  taxonomy: PurposeTaxonomy,
): DailyTallyChange | undefined {
  if (event.action !== 'GRANT' && event.action !== 'WITHDRAW') return undefined;
  if (taxonomy.purposes.get(event.purpose)?.basis !== 'consent') return undefined;
  return {
    purpose: event.purpose,
    jurisdiction: event.jurisdiction,
    day: event.occurredAt.toISOString().slice(0, 10),
    grants: event.action === 'GRANT' ? 1 : 0,
    withdrawals: event.action === 'WITHDRAW' ? 1 : 0,
  };
}
