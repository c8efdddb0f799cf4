import { sqlMigration } from './sql-migration';

/**
 * Erasure by crypto-shredding. The events table takes the ERASE action; each subject's write
 * head says when the subject was erased (the write path records nothing of theirs again); an
 * erasure request keeps who asked, the event that recorded it and when the data key was
 * destroyed; and the blind indexes of an erased subject's identifiers stay as suppression entries
 * (a keyed HMAC: they cannot be turned back into the identifier, and a later import of the same
 * identifier is refused).
 */
export const Erasure1795001400000 = sqlMigration('Erasure1795001400000', {
  up: [
    'ALTER TABLE consent_event DROP CONSTRAINT consent_event_action_check',
    `ALTER TABLE consent_event ADD CONSTRAINT consent_event_action_check
       CHECK (action IN ('GRANT', 'WITHDRAW', 'EXPIRE', 'ERASE'))`,
    'ALTER TABLE consent_write_head ADD COLUMN erased_at timestamptz',
    `
      CREATE TABLE erasure_request (
        subject_id       text        PRIMARY KEY,
        requested_at     timestamptz NOT NULL DEFAULT now(),
        requested_by     text        NOT NULL,
        jurisdiction     text        NOT NULL,
        event_id         uuid,
        key_destroyed_at timestamptz
      )`,
    `
      CREATE TABLE erased_identifier (
        kind         text        NOT NULL,
        blind_index  bytea       NOT NULL,
        erased_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, blind_index)
      )`,
  ],
  down: [
    'DROP TABLE erased_identifier',
    'DROP TABLE erasure_request',
    'ALTER TABLE consent_write_head DROP COLUMN erased_at',
    'ALTER TABLE consent_event DROP CONSTRAINT consent_event_action_check',
    `ALTER TABLE consent_event ADD CONSTRAINT consent_event_action_check
       CHECK (action IN ('GRANT', 'WITHDRAW', 'EXPIRE'))`,
  ],
});
