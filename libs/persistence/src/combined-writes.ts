import type { EntityManager } from 'typeorm';
import { queryPrepared } from './prepared-query';

/** One data-modifying statement (INSERT, UPDATE or DELETE) and its $1…$n. */
export interface SqlWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** A channel to NOTIFY (on commit) when this write runs. */
  readonly notify?: string;
  /**
   * The write ends with RETURNING and must return exactly this many rows, or the whole statement
   * fails with SQLSTATE {@link EXPECTED_ROWS_MISSED} and writes nothing (an optimistic guard).
   */
  readonly expectRows?: number;
}

/** One SELECT and its $1…$n, read together with others by {@link runReads}. */
export interface SqlRead {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** SQLSTATE of a combined write whose guard (`expectRows`) did not hold: nothing was written. */
export const EXPECTED_ROWS_MISSED = 'CL001';

/**
 * Runs writes to different tables as one statement, each a data-modifying WITH query, so that a
 * transaction pays one round trip for all of them instead of one each (on our machine a round
 * trip to PostgreSQL costs more CPU than the writes themselves). PostgreSQL runs every
 * data-modifying WITH query exactly once, all with the same snapshot: the writes must not depend
 * on each other's effects, and no two may touch the same row. Outside a transaction the
 * statement is still atomic: all of it commits, or (a guard missed, an error) none of it.
 */
export async function runWrites(
  manager: EntityManager,
  writes: ReadonlyArray<SqlWrite | undefined>,
): Promise<void> {
  const statement = combineWrites(writes);
  if (statement) await queryPrepared(manager, statement.sql, statement.params);
}

/**
 * The one statement {@link runWrites} runs: each write a WITH query, its parameters renumbered
 * after the ones before it, a guard for each write that expects a row count, and a NOTIFY for
 * each channel named (once). Undefined when there is nothing to write.
 */
export function combineWrites(
  writes: ReadonlyArray<SqlWrite | undefined>,
): { readonly sql: string; readonly params: unknown[] } | undefined {
  const present = writes.filter((write): write is SqlWrite => write !== undefined);
  if (present.length === 0) return undefined;
  const params: unknown[] = [];
  const queries = present.map((write, index) => `w${index} AS (${renumber(write, params)})`);
  const guards = present.flatMap((write, index) => {
    if (write.expectRows === undefined) return [];
    params.push(write.expectRows);
    return [
      `consent_ledger_expect_rows((SELECT count(*) FROM w${index}), $${params.length}, 'w${index}')`,
    ];
  });
  const channels = [...new Set(present.flatMap((write) => (write.notify ? [write.notify] : [])))];
  const notifications = channels.map((channel) => {
    params.push(channel);
    return `pg_notify($${params.length}, '')`;
  });
  const selected = [...guards, ...notifications];
  return {
    sql: `WITH ${queries.join(',\n')}\nSELECT ${selected.length ? selected.join(', ') : '1'}`,
    params,
  };
}

/**
 * Runs several SELECTs in one round trip and returns each one's rows, in order. The rows travel
 * as JSON: timestamps arrive as ISO strings and bigints as numbers, so callers revive what they
 * need (or cast to text in their SELECT).
 */
export async function runReads(
  manager: EntityManager,
  reads: readonly SqlRead[],
): Promise<unknown[][]> {
  const statement = combineReads(reads);
  const [row] = await queryPrepared<Record<string, unknown[]>>(
    manager,
    statement.sql,
    statement.params,
  );
  return reads.map((_read, index) => row![`r${index}`]!);
}

/** The one statement {@link runReads} runs: each read aggregated into a JSON array column. */
export function combineReads(reads: readonly SqlRead[]): {
  readonly sql: string;
  readonly params: unknown[];
} {
  const params: unknown[] = [];
  const columns = reads.map(
    (read, index) =>
      `(SELECT coalesce(json_agg(r${index}), '[]'::json) FROM (${renumber(read, params)}) r${index}) AS r${index}`,
  );
  return { sql: `SELECT ${columns.join(',\n')}`, params };
}

/** The statement's SQL with its $n moved after the parameters already collected. */
function renumber(statement: SqlRead, params: unknown[]): string {
  const offset = params.length;
  params.push(...statement.params);
  return statement.sql.replace(
    /\$(\d+)/g,
    (_match, position: string) => `$${Number(position) + offset}`,
  );
}
