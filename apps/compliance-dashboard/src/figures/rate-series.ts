import type { DailyTally } from '@consent-ledger/persistence';

export type Granularity = 'day' | 'week';

/** One period of one purpose: what people answered, and the rates drawn from it. */
export interface RatePoint {
  /** The period's first day (a Monday for weeks), `YYYY-MM-DD`. */
  readonly period: string;
  readonly grants: number;
  readonly declines: number;
  readonly revocations: number;
  /** Subjects active when the period began. */
  readonly activeAtStart: number;
  /** Of the answers given in the period, the share that agreed; null when nobody answered. */
  readonly optInRate: number | null;
  /** Of the subjects active when the period began, the share that revoked; null when none were. */
  readonly revocationRate: number | null;
}

/** The period a day belongs to (weeks start on Monday, ISO 8601). */
export function periodOf(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  const date = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

/** Every period from `from` to `to`, so that a quiet period shows as one, not as a gap. */
export function periodsBetween(from: string, to: string, granularity: Granularity): string[] {
  const periods: string[] = [];
  const step = granularity === 'day' ? 1 : 7;
  const end = Date.parse(`${to}T00:00:00Z`);
  for (
    let at = Date.parse(`${periodOf(from, granularity)}T00:00:00Z`);
    at <= end;
    at += step * 86_400_000
  )
    periods.push(new Date(at).toISOString().slice(0, 10));
  return periods;
}

/**
 * Each purpose's opt-in and revocation rates per period from the daily tallies (each day with its
 * end-of-day active count). A period's active count at start is the active count at the end of
 * the day before it, carried over quiet days.
 */
export function rateSeries(
  tallies: readonly DailyTally[],
  purposes: readonly string[],
  from: string,
  to: string,
  granularity: Granularity,
): Map<string, RatePoint[]> {
  const series = new Map<string, RatePoint[]>();
  const periods = periodsBetween(from, to, granularity);
  for (const purpose of purposes) {
    const days = tallies.filter((tally) => tally.purpose === purpose);
    const first = days[0];
    let active = first ? first.activeAtEnd - first.activeChange : 0;
    series.set(
      purpose,
      periods.map((period) => {
        const inPeriod = days.filter((day) => periodOf(day.day, granularity) === period);
        const sum = (field: 'grants' | 'declines' | 'revocations') =>
          inPeriod.reduce((total, day) => total + day[field], 0);
        const [grants, declines, revocations] = [
          sum('grants'),
          sum('declines'),
          sum('revocations'),
        ];
        const activeAtStart = active;
        if (inPeriod.length > 0) active = inPeriod[inPeriod.length - 1]!.activeAtEnd;
        return {
          period,
          grants,
          declines,
          revocations,
          activeAtStart,
          optInRate: grants + declines > 0 ? grants / (grants + declines) : null,
          revocationRate: activeAtStart > 0 ? revocations / activeAtStart : null,
        };
      }),
    );
  }
  return series;
}
