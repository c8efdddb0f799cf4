import { Client } from 'pg';

/**
 * The columns (`table.column`) of every table whose text, JSON or bytea values hold `needle` (as
 * text, case-insensitively, or as UTF-8 bytes). A scan for identifiers that must never be stored
 * in clear.
 */
export async function columnsHolding(databaseUrl: string, needle: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: columns } = await client.query<{ table: string; column: string; type: string }>(
      `SELECT table_name AS table, column_name AS column, data_type AS type
         FROM information_schema.columns
        WHERE table_schema = 'public'
          AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY')`,
    );
    const holding: string[] = [];
    for (const { table, column, type } of columns) {
      const test =
        type === 'bytea'
          ? `position(convert_to($1, 'UTF8') in "${column}") > 0`
          : `"${column}"::text ILIKE '%' || $1 || '%'`;
      const { rows } = await client.query(`SELECT 1 FROM "${table}" WHERE ${test} LIMIT 1`, [
        needle,
      ]);
      if (rows.length > 0) holding.push(`${table}.${column}`);
    }
    return holding;
  } finally {
    await client.end();
  }
}
