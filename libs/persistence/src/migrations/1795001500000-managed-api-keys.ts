import { sqlMigration } from './sql-migration';

/**
 * Managed API keys, stored hashed: each key's role, scopes and channels, and the SHA-256 of each
 * of its secrets with when it stops being valid (a rotation leaves the old secret valid for an
 * overlap); never a secret. And the admin audit log: every administrative action (a key created,
 * rotated or revoked, a subject erased, the key-encryption key rotated), who did it and when.
 */
export const ManagedApiKeys1795001500000 = sqlMigration('ManagedApiKeys1795001500000', {
  up: [
    `
      CREATE TABLE api_key (
        key_id      text        PRIMARY KEY,
        role        text,
        scopes      text[]      NOT NULL,
        channels    text[],
        created_at  timestamptz NOT NULL DEFAULT now(),
        created_by  text        NOT NULL,
        revoked_at  timestamptz,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE api_key_secret (
        secret_sha256 bytea       PRIMARY KEY,
        key_id        text        NOT NULL REFERENCES api_key (key_id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz
      )`,
    'CREATE INDEX api_key_secret_key_idx ON api_key_secret (key_id)',
    `
      CREATE TABLE admin_audit_entry (
        seq      bigserial   PRIMARY KEY,
        at       timestamptz NOT NULL DEFAULT now(),
        actor    text        NOT NULL,
        action   text        NOT NULL,
        target   text        NOT NULL,
        details  jsonb       NOT NULL DEFAULT '{}'
      )`,
    'CREATE INDEX admin_audit_entry_at_idx ON admin_audit_entry (at)',
  ],
  down: ['DROP TABLE admin_audit_entry', 'DROP TABLE api_key_secret', 'DROP TABLE api_key'],
});
