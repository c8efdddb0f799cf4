import type { EntityManager } from 'typeorm';

/** One data-modifying statement (INSERT, UPDATE or DELETE without RETURNING) and its $1…$n. */
export interface SqlWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** A channel to NOTIFY (on commit) when this write runs. */
  readonly notify?: string;
}

/**
 * Runs writes to different tables as one statement, each a data-modifying WITH query, so that a
 * transaction pays one round trip for all of them instead of one each (on our machine a round
 * trip to PostgreSQL costs more CPU than the writes themselves). PostgreSQL runs every
 * data-modifying WITH query exactly once, all with the same snapshot: the writes must not depend
 * on each other's effects, and no two may touch the same row.
 */
export async function runWrites(
  manager: EntityManager,
  writes: ReadonlyArray<SqlWrite | undefined>,
): Promise<void> {
  const statement = combineWrites(writes);
  if (statement) await manager.query(statement.sql, statement.params);
}

/**
 * The one statement {@link runWrites} runs: each write a WITH query, its parameters renumbered
 * after the ones before it, and a NOTIFY for each channel named (once). Undefined when there is
 * nothing to write.
 */
export function combineWrites(
  writes: ReadonlyArray<SqlWrite | undefined>,
): { readonly sql: string; readonly params: unknown[] } | undefined {
  const present = writes.filter((write): write is SqlWrite => write !== undefined);
  if (present.length === 0) return undefined;
  const params: unknown[] = [];
  const queries = present.map((write, index) => {
    const offset = params.length;
    params.push(...write.params);
    const sql = write.sql.replace(
      /\$(\d+)/g,
      (_match, position: string) => `$${Number(position) + offset}`,
    );
    return `w${index} AS (${sql})`;
  });
  const channels = [...new Set(present.flatMap((write) => (write.notify ? [write.notify] : [])))];
  const notifications = channels.map((channel) => {
    params.push(channel);
    return `pg_notify($${params.length}, '')`;
  });
  return {
    sql: `WITH ${queries.join(',\n')}\nSELECT ${notifications.length ? notifications.join(', ') : '1'}`,
    params,
  };
}
