import { sqlMigration } from './sql-migration';

/**
 * The identity vault: each subject's data key, wrapped by a key-encryption key, and its direct
 * identifiers, each sealed with that data key (AES-256-GCM) and found by its blind index (a keyed
 * HMAC of the normalised value). Nothing here is readable without the key-encryption key.
 */
export const IdentityVault1795001300000 = sqlMigration('IdentityVault1795001300000', {
  up: [
    `
      CREATE TABLE subject_data_key (
        subject_id   text        PRIMARY KEY,
        kek_id       text        NOT NULL,
        wrapped_key  bytea       NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE subject_identifier (
        subject_id   text        NOT NULL REFERENCES subject_data_key (subject_id),
        kind         text        NOT NULL,
        blind_index  bytea       NOT NULL,
        sealed_value bytea       NOT NULL,
        added_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, kind, blind_index)
      )`,
    'CREATE INDEX subject_identifier_lookup_idx ON subject_identifier (kind, blind_index)',
  ],
  down: ['DROP TABLE subject_identifier', 'DROP TABLE subject_data_key'],
});
