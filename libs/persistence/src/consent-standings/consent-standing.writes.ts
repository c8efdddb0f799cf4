import type {
  ConsentStanding,
  DailyTallyChange,
  StandingCountChange,
} from '@consent-ledger/consent-domain';
import type { SqlWrite } from '../combined-writes';

/** A subject's standing on a purpose after a batch, as the paged lists read it. */
export interface SubjectStanding {
  readonly subjectId: string;
  readonly purpose: string;
  readonly standing: ConsentStanding;
  readonly jurisdiction: string;
  /** When the event that put the subject there took effect. */
  readonly since: Date;
}

/** A counter's change, on the shard (source partition) whose writer made it. */
export interface ShardedCountChange extends StandingCountChange {
  readonly shard: number;
}

/** A daily tally's change, on the shard (source partition) whose writer made it. */
export interface ShardedTallyChange extends DailyTallyChange {
  readonly shard: number;
}

/**
 * The writes that keep the dashboard's projection: each is one statement of the projector's
 * combined write, so counts move in the same transaction as the checkpoint, exactly once in effect.
 * Changes are added up per row first (a statement may not touch one row twice), in a fixed order.
 */
export class ConsentStandingWrites {
  standingsWrite(standings: readonly SubjectStanding[]): SqlWrite | undefined {
    if (standings.length === 0) return undefined;
    return {
      sql: `INSERT INTO consent_standing (subject_id, purpose, standing, jurisdiction, since)
            SELECT s.subject_id, s.purpose, s.standing, s.jurisdiction, s.since
              FROM jsonb_to_recordset($1::jsonb)
                   AS s(subject_id text, purpose text, standing text, jurisdiction text, since timestamptz)
            ON CONFLICT (subject_id, purpose) DO UPDATE
               SET standing = excluded.standing, jurisdiction = excluded.jurisdiction, since = excluded.since`,
      params: [
        JSON.stringify(
          standings.map((row) => ({
            subject_id: row.subjectId,
            purpose: row.purpose,
            standing: row.standing,
            jurisdiction: row.jurisdiction,
            since: row.since.toISOString(),
          })),
        ),
      ],
    };
  }

  countsWrite(changes: readonly ShardedCountChange[]): SqlWrite | undefined {
    const sums = sumBy(
      changes,
      (c) => [c.shard, c.purpose, c.jurisdiction, c.standing],
      (c) => ({ subjects: c.delta }),
    );
    if (sums.length === 0) return undefined;
    return {
      sql: `INSERT INTO consent_standing_count (shard, purpose, jurisdiction, standing, subjects)
            SELECT c.shard, c.purpose, c.jurisdiction, c.standing, c.subjects
              FROM jsonb_to_recordset($1::jsonb)
                   AS c(shard integer, purpose text, jurisdiction text, standing text, subjects bigint)
            ON CONFLICT (shard, purpose, jurisdiction, standing) DO UPDATE
               SET subjects = consent_standing_count.subjects + excluded.subjects`,
      params: [
        JSON.stringify(
          sums.map(({ key: [shard, purpose, jurisdiction, standing], sum }) => ({
            shard,
            purpose,
            jurisdiction,
            standing,
            ...sum,
          })),
        ),
      ],
    };
  }

  talliesWrite(changes: readonly ShardedTallyChange[]): SqlWrite | undefined {
    const sums = sumBy(
      changes,
      (t) => [t.shard, t.day, t.purpose, t.jurisdiction],
      (t) => ({
        grants: t.grants,
        declines: t.declines,
        revocations: t.revocations,
        active_change: t.activeChange,
      }),
    );
    if (sums.length === 0) return undefined;
    return {
      sql: `INSERT INTO consent_daily_tally
                   (shard, day, purpose, jurisdiction, grants, declines, revocations, active_change)
            SELECT t.shard, t.day, t.purpose, t.jurisdiction, t.grants, t.declines, t.revocations, t.active_change
              FROM jsonb_to_recordset($1::jsonb)
                   AS t(shard integer, day date, purpose text, jurisdiction text,
                        grants bigint, declines bigint, revocations bigint, active_change bigint)
            ON CONFLICT (shard, day, purpose, jurisdiction) DO UPDATE
               SET grants = consent_daily_tally.grants + excluded.grants,
                   declines = consent_daily_tally.declines + excluded.declines,
                   revocations = consent_daily_tally.revocations + excluded.revocations,
                   active_change = consent_daily_tally.active_change + excluded.active_change`,
      params: [
        JSON.stringify(
          sums.map(({ key: [shard, day, purpose, jurisdiction], sum }) => ({
            shard,
            day,
            purpose,
            jurisdiction,
            ...sum,
          })),
        ),
      ],
    };
  }
}

/** Adds up the numbers of items with the same key; keys in sorted order, zero sums left out. */
export function sumBy<
  T,
  K extends ReadonlyArray<string | number>,
  S extends Record<string, number>,
>(
  items: readonly T[],
  keyOf: (item: T) => K,
  numbersOf: (item: T) => S,
): Array<{ key: K; sum: S }> {
  const sums = new Map<string, { key: K; sum: S }>();
  for (const item of items) {
    const key = keyOf(item);
    const id = JSON.stringify(key);
    const numbers = numbersOf(item);
    const entry = sums.get(id);
    if (!entry) {
      sums.set(id, { key, sum: { ...numbers } });
      continue;
    }
    const sum = entry.sum as Record<string, number>;
    for (const [field, value] of Object.entries(numbers)) sum[field] = (sum[field] ?? 0) + value;
  }
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => entry)
    .filter(({ sum }) => Object.values(sum).some((value) => value !== 0));
}
