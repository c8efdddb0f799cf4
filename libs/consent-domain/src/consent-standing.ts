import type { ConsentPolicy } from './consent-policy';
import type { SubjectConsentState } from './consent-state';
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
 * event that first names it. Only the purposes whose lineage holds a choice the event changed are
 * judged again (the projector calls this for every event it applies), unless the subject is new,
 * moved jurisdiction or was erased, which moves every purpose.
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
  const changed = Object.keys(after.choices).filter(
    (id) => after.choices[id] !== before.choices[id],
  );
  const everyPurpose = !known || from !== to || changed.includes(EVERY_PURPOSE);
  if (!everyPurpose && changed.length === 0) return changes;
  for (const { purpose, lineage } of countedLineages(context.taxonomy)) {
    if (!everyPurpose && !lineage.some((id) => changed.includes(id))) continue;
    const was = known ? standingOf(before, purpose, context) : undefined;
    const is = standingOf(after, purpose, context);
    if (was === is && from === to) continue;
    if (was !== undefined) changes.push({ purpose, jurisdiction: from, standing: was, delta: -1 });
    changes.push({ purpose, jurisdiction: to, standing: is, delta: 1 });
  }
  return changes;
}

/** Each consent-based purpose with its lineage, worked out once per taxonomy. */
const lineages = new WeakMap<
  PurposeTaxonomy,
  ReadonlyArray<{ purpose: string; lineage: string[] }>
>();

function countedLineages(taxonomy: PurposeTaxonomy) {
  let counted = lineages.get(taxonomy);
  if (!counted) {
    counted = countedPurposes(taxonomy).map((purpose) => ({
      purpose,
      lineage: lineageOf(taxonomy, purpose),
    }));
    lineages.set(taxonomy, counted);
  }
  return counted;
}

/**
 * What the standings depend on besides the log, as a canonical text: each consent-based purpose
 * with its lineage, and the notice minimums. Counts kept under one basis must be counted again
 * under another.
 */
export function standingBasisOf(context: StandingContext): string {
  const purposes = countedPurposes(context.taxonomy)
    .sort()
    .map((purpose) => lineageOf(context.taxonomy, purpose).join('<'));
  const minimums = Object.entries(context.policy.minimumNoticeVersions).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return JSON.stringify({ purposes, minimums });
}

/**
 * One day's tallies for a purpose and jurisdiction, the opt-in and revocation rates are drawn
 * from: new agreements, declines (a "no" from someone who had not agreed), revocations (a "no"
 * from someone who had), and the net change of the subjects who stand ACTIVE, so that the active
 * count at the end of any day is the sum of the changes up to it.
 */
export interface DailyTallyChange {
  readonly purpose: string;
  readonly jurisdiction: string;
  /** The day the event took effect (UTC), `YYYY-MM-DD`. */
  readonly day: string;
  readonly grants: number;
  readonly declines: number;
  readonly revocations: number;
  readonly activeChange: number;
}

/**
 * What one event adds to the daily tallies, from the standing changes it caused (a grant of a
 * parent purpose is an agreement to each child it makes active), on the day the event took effect.
 * Expiries and erasures move only the active count: they are the system's, not the person's, choice.
 */
export function dailyTallyChanges(
  changes: readonly StandingCountChange[],
  occurredAt: Date,
): DailyTallyChange[] {
  const day = occurredAt.toISOString().slice(0, 10);
  const tallies = new Map<
    string,
    Tally & Pick<DailyTallyChange, 'purpose' | 'jurisdiction' | 'day'>
  >();
  const add = (purpose: string, jurisdiction: string, field: keyof Tally) => {
    const key = `${purpose}\u0000${jurisdiction}`;
    const tally = tallies.get(key) ?? { ...emptyTally(), purpose, jurisdiction, day };
    tallies.set(key, { ...tally, [field]: tally[field] + 1 });
  };
  const was = new Map(changes.filter((c) => c.delta === -1).map((c) => [c.purpose, c]));
  for (const now of changes.filter((change) => change.delta === 1)) {
    const before = was.get(now.purpose);
    if (before?.standing === 'ACTIVE') add(now.purpose, before.jurisdiction, 'activeLoss');
    if (now.standing === 'ACTIVE') {
      add(now.purpose, now.jurisdiction, 'activeGain');
      if (before?.standing !== 'ACTIVE') add(now.purpose, now.jurisdiction, 'grants');
    }
    if (now.standing === 'WITHDRAWN') {
      const agreed = before?.standing === 'ACTIVE' || before?.standing === 'LAPSED_NOTICE';
      add(now.purpose, now.jurisdiction, agreed ? 'revocations' : 'declines');
    }
  }
  return [...tallies.values()]
    .map(({ activeGain, activeLoss, ...tally }) => ({
      ...tally,
      activeChange: activeGain - activeLoss,
    }))
    .filter((t) => t.grants + t.declines + t.revocations > 0 || t.activeChange !== 0);
}

interface Tally {
  readonly grants: number;
  readonly declines: number;
  readonly revocations: number;
  readonly activeGain: number;
  readonly activeLoss: number;
}

const emptyTally = (): Tally => ({
  grants: 0,
  declines: 0,
  revocations: 0,
  activeGain: 0,
  activeLoss: 0,
});
