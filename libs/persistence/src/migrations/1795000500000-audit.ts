import { sqlMigration } from './sql-migration';

/**
 * Audit: the notice registry (the exact text each notice version showed, by id, version and
 * SHA-256), every delivery a connector made (what each downstream system was told and when),
 * and the usage log indexed from consent.decisions.v1 (which campaigns and training runs used a
 * person's data, under which consent).
 */
export const Audit1795000500000 = sqlMigration('Audit1795000500000', {
  up: [
    `
      CREATE TABLE consent_notice (
        notice_id     text        NOT NULL,
        version       text        NOT NULL,
        text_sha256   text        NOT NULL,
        text          text        NOT NULL,
        language      text,
        title         text,
        registered_by text        NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (notice_id, version)
      )`,
    `
      CREATE TABLE sink_delivery (
        sink           text        NOT NULL,
        subject_id     text        NOT NULL,
        purpose        text        NOT NULL,
        allowed        boolean     NOT NULL,
        cause_event_id uuid        NOT NULL,
        source_offset  bigint      NOT NULL,
        delivered_at   timestamptz NOT NULL DEFAULT now()
      )`,
    `CREATE INDEX sink_delivery_subject_idx ON sink_delivery (subject_id, delivered_at)`,
    `
      CREATE TABLE consent_usage (
        usage_id          uuid        PRIMARY KEY,
        kind              text        NOT NULL,
        subject_id        text        NOT NULL,
        purpose           text        NOT NULL,
        asked_by          text        NOT NULL,
        campaign_id       text,
        job_id            text,
        manifest_id       text,
        allowed           boolean     NOT NULL,
        reason            text        NOT NULL,
        deciding_event_id text,
        policy_version    text        NOT NULL,
        log_position      text        NOT NULL,
        decided_at        timestamptz NOT NULL,
        source_partition  integer     NOT NULL,
        source_offset     bigint      NOT NULL
      )`,
    `CREATE INDEX consent_usage_subject_idx ON consent_usage (subject_id, decided_at)`,
    `CREATE INDEX consent_usage_campaign_idx ON consent_usage (campaign_id) WHERE campaign_id IS NOT NULL`,
    `CREATE INDEX consent_usage_job_idx ON consent_usage (job_id) WHERE job_id IS NOT NULL`,
  ],
  down: ['DROP TABLE consent_usage', 'DROP TABLE sink_delivery', 'DROP TABLE consent_notice'],
});
