import { sqlMigration } from './sql-migration';

/**
 * One-time codes that let a person who arrives with nothing into the preference centre: the code
 * itself is never stored, only its keyed hash; each code expires, is used once, and takes a few
 * attempts at most. Codes per subject in a recent window are counted to limit how many are sent.
 */
export const OneTimeCodes1795001700000 = sqlMigration('OneTimeCodes1795001700000', {
  up: [
    `
      CREATE TABLE one_time_code (
        code_id     uuid        PRIMARY KEY,
        subject_id  text        NOT NULL,
        code_hash   bytea       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        attempts    integer     NOT NULL DEFAULT 0,
        used_at     timestamptz
      )`,
    'CREATE INDEX one_time_code_subject_idx ON one_time_code (subject_id, created_at)',
  ],
  down: ['DROP TABLE one_time_code'],
});
