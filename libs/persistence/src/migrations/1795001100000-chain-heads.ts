import { sqlMigration } from './sql-migration';

/**
 * The projector keeps the hash of each subject's last applied event, to check the next event's
 * link on the way in (null for subjects projected before it was kept: their next link is taken
 * as it comes). The chain checkpoints the API signs are kept in their own table so that a
 * restarted instance knows when the last one was taken.
 */
export const ChainHeads1795001100000 = sqlMigration('ChainHeads1795001100000', {
  up: [
    `ALTER TABLE consent_subject ADD COLUMN last_event_hash bytea`,
    `
      CREATE TABLE chain_checkpoint (
        checkpoint_id  uuid        PRIMARY KEY,
        topic          text        NOT NULL,
        created_at     timestamptz NOT NULL,
        subject_count  integer     NOT NULL,
        merkle_root    text        NOT NULL,
        key_id         text        NOT NULL
      )`,
  ],
  down: [`DROP TABLE chain_checkpoint`, `ALTER TABLE consent_subject DROP COLUMN last_event_hash`],
});
