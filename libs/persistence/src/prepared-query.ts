import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

/**
 * Runs a statement as a named prepared statement, so each connection parses, analyses and plans
 * it once and then only binds and executes (TypeORM's `query` sends unnamed statements, which
 * PostgreSQL prepares again every time: for the pipeline's combined statements that is much of
 * their cost). The name is a hash of the text, so every text gets its own. Runs in the manager's
 * transaction when it has one, otherwise on a pooled connection. Errors are PostgreSQL's own
 * (with their SQLSTATE `code`).
 */
export async function queryPrepared<Row = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<Row[]> {
  const statement = preparedStatement(sql, params);
  const runner = manager.queryRunner as PostgresQueryRunner | undefined;
  if (runner && !runner.isReleased) {
    const client = (await runner.connect()) as PoolClient;
    return (await client.query(statement)).rows as Row[];
  }
  const pool = (manager.connection.driver as unknown as { master: Pool }).master;
  return (await pool.query(statement)).rows as Row[];
}

/** The statement as node-postgres sends a named prepared statement (for a client of one's own). */
export function preparedStatement(sql: string, params: readonly unknown[] = []): QueryConfig {
  return { name: statementName(sql), text: sql, values: [...params] };
}

/**
 * Names by statement text, so the hot path hashes each text once. The texts are the code's own
 * (a few dozen, combined statements included), so the map stays small.
 */
const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `cl_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}
