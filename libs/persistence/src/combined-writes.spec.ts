import { combineReads, combineWrites } from './combined-writes';

describe('combineWrites', () => {
  it('renumbers each write’s parameters after the ones before it', () => {
    const statement = combineWrites([
      { sql: 'INSERT INTO a (x, y) VALUES ($1, $2)', params: ['x', 'y'] },
      undefined,
      { sql: 'UPDATE b SET z = $2 WHERE id = $1 AND w = $1', params: [7, 'z'] },
    ]);
    expect(statement).toEqual({
      sql: 'WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)),\nw1 AS (UPDATE b SET z = $4 WHERE id = $3 AND w = $3)\nSELECT 1',
      params: ['x', 'y', 7, 'z'],
    });
  });

  it('renumbers two-digit parameters whole ($10 is not $1 followed by 0)', () => {
    const many = Array.from({ length: 10 }, (_, index) => index);
    const statement = combineWrites([
      { sql: 'INSERT INTO a VALUES ($1)', params: [100] },
      {
        sql: `INSERT INTO b VALUES (${many.map((index) => `$${index + 1}`).join(', ')})`,
        params: many,
      },
    ]);
    expect(statement?.sql).toContain(
      'INSERT INTO b VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
    );
    expect(statement?.params).toEqual([100, ...many]);
  });

  it('notifies each channel once, with the channel as a parameter', () => {
    const statement = combineWrites([
      { sql: 'INSERT INTO a VALUES ($1)', params: [1], notify: 'outbox' },
      { sql: 'INSERT INTO b VALUES ($1)', params: [2], notify: 'outbox' },
    ]);
    expect(statement?.sql.endsWith("SELECT pg_notify($3, '')")).toBe(true);
    expect(statement?.params).toEqual([1, 2, 'outbox']);
  });

  it('has nothing to run when every write is absent', () => {
    expect(combineWrites([undefined, undefined])).toBeUndefined();
  });
});

describe('combineWrites with a guard', () => {
  it('checks the guarded write’s row count before anything else is selected', () => {
    const statement = combineWrites([
      { sql: 'INSERT INTO a VALUES ($1)', params: [1], notify: 'outbox' },
      { sql: 'UPDATE c SET n = $1 WHERE n = $2 RETURNING 1', params: [5, 4], expectRows: 3 },
    ]);
    expect(statement?.sql).toContain('w1 AS (UPDATE c SET n = $2 WHERE n = $3 RETURNING 1)');
    expect(statement?.sql).toContain(
      "SELECT consent_ledger_expect_rows((SELECT count(*) FROM w1), $4, 'w1'), pg_notify($5, '')",
    );
    expect(statement?.params).toEqual([1, 5, 4, 3, 'outbox']);
  });
});

describe('combineReads', () => {
  it('reads each SELECT into a JSON column of its own, parameters renumbered', () => {
    const statement = combineReads([
      { sql: 'SELECT x FROM a WHERE id = $1', params: [7] },
      { sql: 'SELECT y FROM b WHERE id = ANY($1) AND z = $2', params: [[1, 2], 'z'] },
    ]);
    expect(statement.sql).toBe(
      "SELECT (SELECT coalesce(json_agg(r0), '[]'::json) FROM (SELECT x FROM a WHERE id = $1) r0) AS r0,\n" +
        "(SELECT coalesce(json_agg(r1), '[]'::json) FROM (SELECT y FROM b WHERE id = ANY($2) AND z = $3) r1) AS r1",
    );
    expect(statement.params).toEqual([7, [1, 2], 'z']);
  });
});
