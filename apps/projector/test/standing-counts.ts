import { loadConsentPolicy } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import {
  countedPurposes,
  dailyTallyChanges,
  evolve,
  initialState,
  standingCountChanges,
  standingOf,
} from '@consent-ledger/consent-domain';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import { ConsentReadModelRepository } from '@consent-ledger/persistence';
import type { DataSource } from 'typeorm';

/** Counts as `purpose|jurisdiction|standing` → subjects, zeros left out. */
type Counts = Record<string, number>;

/** The counters the projector kept, added up over shards. */
export async function keptCounts(dataSource: DataSource): Promise<Counts> {
  const rows: Array<{ key: string; subjects: string }> = await dataSource.query(
    `SELECT purpose || '|' || jurisdiction || '|' || standing AS key, sum(subjects) AS subjects
       FROM consent_standing_count GROUP BY 1 HAVING sum(subjects) <> 0`,
  );
  return Object.fromEntries(rows.map((row) => [row.key, Number(row.subjects)]));
}

/** The same counts, counted from the read model's states at the time of asking. */
export async function countedFromReadModel(
  dataSource: DataSource,
  config: AppConfig,
): Promise<Counts> {
  const context = loadConsentPolicy(config.consentPolicy);
  const subjectRows: Array<{ subject_id: string }> = await dataSource.query(
    'SELECT subject_id FROM consent_subject',
  );
  const states = await new ConsentReadModelRepository().loadStates(
    dataSource.manager,
    subjectRows.map((row) => row.subject_id),
  );
  const counts: Counts = {};
  for (const state of states.values())
    for (const purpose of countedPurposes(context.taxonomy)) {
      const key = `${purpose}|${state.jurisdiction ?? 'ZZ'}|${standingOf(state, purpose, context)}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  return counts;
}

/** Each subject's stored standing rows against the states: the rows that disagree. */
export async function standingRowsAgainstReadModel(
  dataSource: DataSource,
  config: AppConfig,
): Promise<string[]> {
  const context = loadConsentPolicy(config.consentPolicy);
  const rows: Array<{ subject_id: string; purpose: string; standing: string }> =
    await dataSource.query('SELECT subject_id, purpose, standing FROM consent_standing');
  const states = await new ConsentReadModelRepository().loadStates(dataSource.manager, [
    ...new Set(rows.map((row) => row.subject_id)),
  ]);
  const stored = new Map(rows.map((row) => [`${row.subject_id}|${row.purpose}`, row.standing]));
  const wrong: string[] = [];
  for (const [subjectId, state] of states)
    for (const purpose of countedPurposes(context.taxonomy)) {
      const expected = standingOf(state, purpose, context);
      const row = stored.get(`${subjectId}|${purpose}`) ?? 'NEVER_ASKED';
      if (row !== expected) wrong.push(`${subjectId} ${purpose}: ${row}, expected ${expected}`);
    }
  return wrong;
}

/** Daily tallies as `day|purpose|jurisdiction` → [grants, declines, revocations, active change]. */
type Tallies = Record<string, [number, number, number, number]>;

export async function keptTallies(dataSource: DataSource): Promise<Tallies> {
  const rows: Array<Record<string, string>> = await dataSource.query(
    `SELECT to_char(day, 'YYYY-MM-DD') || '|' || purpose || '|' || jurisdiction AS key,
            sum(grants) AS g, sum(declines) AS d, sum(revocations) AS r, sum(active_change) AS a
       FROM consent_daily_tally GROUP BY 1
      HAVING sum(grants) <> 0 OR sum(declines) <> 0 OR sum(revocations) <> 0 OR sum(active_change) <> 0`,
  );
  return Object.fromEntries(
    rows.map((row) => [row.key!, [Number(row.g), Number(row.d), Number(row.r), Number(row.a)]]),
  );
}

/** The tallies the events give when each subject's history is folded once, in order. */
export function talliesOfHistories(events: readonly ConsentEvent[], config: AppConfig): Tallies {
  const context = loadConsentPolicy(config.consentPolicy);
  const states = new Map<string, ReturnType<typeof initialState>>();
  const tallies: Tallies = {};
  for (const event of events) {
    const before = states.get(event.subjectId) ?? initialState();
    const after = evolve(before, event);
    states.set(event.subjectId, after);
    const changes = standingCountChanges(before, after, context);
    for (const tally of dailyTallyChanges(changes, event.occurredAt)) {
      const key = `${tally.day}|${tally.purpose}|${tally.jurisdiction}`;
      const sum = tallies[key] ?? [0, 0, 0, 0];
      tallies[key] = [
        sum[0] + tally.grants,
        sum[1] + tally.declines,
        sum[2] + tally.revocations,
        sum[3] + tally.activeChange,
      ];
    }
  }
  return Object.fromEntries(Object.entries(tallies).filter(([, sum]) => sum.some((n) => n !== 0)));
}

/** The counters, each subject's standings and the daily tallies equal what the read model and the events give. */
export async function expectStandingsOfReadModel(
  dataSource: DataSource,
  config: AppConfig,
  events: readonly ConsentEvent[],
): Promise<void> {
  expect(await keptCounts(dataSource)).toEqual(await countedFromReadModel(dataSource, config));
  expect(await standingRowsAgainstReadModel(dataSource, config)).toEqual([]);
  expect(await keptTallies(dataSource)).toEqual(talliesOfHistories(events, config));
}
