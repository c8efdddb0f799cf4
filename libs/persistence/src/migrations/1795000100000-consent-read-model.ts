import { sqlMigration } from './sql-migration';

/**
 * The projector's read model (every event, each subject's latest choice per purpose, each
 * subject's jurisdiction and age band) and the API's write-side bookkeeping (hash-chain heads and
 * idempotency keys).
 */
export const ConsentReadModel1795000100000 = sqlMigration('ConsentReadModel1795000100000', {
  up: [
    `
      CREATE TABLE consent_event (
        event_id            uuid        PRIMARY KEY,
        subject_id          text        NOT NULL,
        purpose             text        NOT NULL,
        action              text        NOT NULL CHECK (action IN ('GRANT', 'WITHDRAW', 'EXPIRE')),
        jurisdiction        text        NOT NULL,
        legal_basis         text        NOT NULL,
        channel             text        NOT NULL,
        method              text        NOT NULL,
        notice_id           text,
        notice_version      text,
        notice_text_sha256  text,
        occurred_at         timestamptz NOT NULL,
        recorded_at         timestamptz NOT NULL,
        expires_at          timestamptz,
        actor_type          text        NOT NULL,
        actor_id            text,
        evidence            jsonb,
        age_band            text,
        idempotency_key     text        NOT NULL,
        previous_event_hash text,
        source_topic        text        NOT NULL,
        source_partition    integer     NOT NULL,
        source_offset       bigint      NOT NULL,
        applied_at          timestamptz NOT NULL DEFAULT now(),
        UNIQUE (subject_id, idempotency_key),
        UNIQUE (source_topic, source_partition, source_offset)
      )`,
    `CREATE INDEX consent_event_subject_recorded_idx ON consent_event (subject_id, recorded_at)`,
    `
      CREATE TABLE consent_choice (
        subject_id         text        NOT NULL,
        purpose            text        NOT NULL,
        action             text        NOT NULL,
        event_id           uuid        NOT NULL,
        occurred_at        timestamptz NOT NULL,
        recorded_at        timestamptz NOT NULL,
        expires_at         timestamptz,
        legal_basis        text        NOT NULL,
        channel            text        NOT NULL,
        method             text        NOT NULL,
        notice_id          text,
        notice_version     text,
        notice_text_sha256 text,
        jurisdiction       text        NOT NULL,
        PRIMARY KEY (subject_id, purpose)
      )`,
    `
      CREATE TABLE consent_subject (
        subject_id               text        PRIMARY KEY,
        jurisdiction             text,
        jurisdiction_occurred_at timestamptz,
        jurisdiction_event_id    uuid,
        age_band                 text,
        age_band_occurred_at     timestamptz,
        age_band_event_id        uuid,
        event_count              integer     NOT NULL DEFAULT 0,
        updated_at               timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE consent_write_head (
        subject_id      text        PRIMARY KEY,
        last_event_id   uuid,
        last_event_hash text,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE idempotency_record (
        subject_id      text        NOT NULL,
        idempotency_key text        NOT NULL,
        event_id        uuid        NOT NULL,
        request_sha256  text        NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, idempotency_key)
      )`,
  ],
  down: [
    'DROP TABLE idempotency_record',
    'DROP TABLE consent_write_head',
    'DROP TABLE consent_subject',
    'DROP TABLE consent_choice',
    'DROP TABLE consent_event',
  ],
});
