import { consentStandings } from '@consent-ledger/consent-domain';
import type { ConsentStanding } from '@consent-ledger/consent-domain';
import type { StandingCount } from '@consent-ledger/persistence';

/** The standings as the consent view's columns, pending re-consent among them. */
export const standingColumns = [
  'ACTIVE',
  'PENDING_RECONSENT',
  'LAPSED_NOTICE',
  'WITHDRAWN',
  'EXPIRED',
  'NEVER_ASKED',
  'ERASED',
] as const;
export type StandingColumn = (typeof standingColumns)[number];

/** One purpose's row: subjects per standing, within the jurisdiction asked for (or all). */
export interface ConsentRow {
  readonly purpose: string;
  readonly counts: Readonly<Record<StandingColumn, number | null>>;
  readonly total: number;
}

/**
 * The consent-by-state table from the projector's counters: one row per purpose (the taxonomy's
 * order), one column per standing. Pending re-consent is null: the counters do not keep it (a
 * campaign's people still to answer are on Pending work), and a count of 0 would claim nobody is
 * waiting.
 */
export function consentTable(
  counts: readonly StandingCount[],
  purposes: readonly string[],
  jurisdiction?: string,
): ConsentRow[] {
  const known = new Set<string>(consentStandings);
  return purposes.map((purpose) => {
    const row = Object.fromEntries(
      standingColumns.map((column) => [column, column === 'PENDING_RECONSENT' ? null : 0]),
    ) as Record<StandingColumn, number | null>;
    let total = 0;
    for (const count of counts) {
      if (count.purpose !== purpose || !known.has(count.standing)) continue;
      if (jurisdiction !== undefined && count.jurisdiction !== jurisdiction) continue;
      const standing = count.standing as ConsentStanding;
      row[standing] = (row[standing] ?? 0) + count.subjects;
      total += count.subjects;
    }
    return { purpose, counts: row, total };
  });
}

/** The jurisdictions the counters hold, sorted. */
export function jurisdictionsOf(counts: readonly StandingCount[]): string[] {
  return [...new Set(counts.map((count) => count.jurisdiction))].sort();
}
