import { sqlMigration } from './sql-migration';

/**
 * A guard for statements that write without holding a lock: `consent_ledger_expect_rows(actual,
 * expected, what)` raises SQLSTATE CL001 unless the counts agree, which aborts the whole statement
 * (every data-modifying WITH query in it). The projector advances its checkpoints only from the
 * offsets it read; if another consumer moved one meanwhile, nothing is written and it reads again.
 */
export const ExpectedRows1795000700000 = sqlMigration('ExpectedRows1795000700000', {
  up: [
    `
      CREATE FUNCTION consent_ledger_expect_rows(actual bigint, expected bigint, what text)
      RETURNS bigint LANGUAGE plpgsql AS $$
      BEGIN
        IF actual IS DISTINCT FROM expected THEN
          RAISE EXCEPTION USING ERRCODE = 'CL001',
            MESSAGE = format('%s: expected %s rows, found %s; nothing was written', what, expected, actual);
        END IF;
        RETURN actual;
      END $$`,
  ],
  down: ['DROP FUNCTION consent_ledger_expect_rows(bigint, bigint, text)'],
});
