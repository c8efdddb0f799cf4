import { sqlMigration } from './sql-migration';

/**
 * ML training: the exclusion table kept by the ml-training connector, and the manifests issued
 * to training jobs with the subjects each one used, so that a later withdrawal can be traced to
 * the models trained on that person's data.
 */
export const MlTraining1795000400000 = sqlMigration('MlTraining1795000400000', {
  up: [
    `
      CREATE TABLE ml_training_exclusion (
        subject_id     text        NOT NULL,
        purpose        text        NOT NULL,
        allowed        boolean     NOT NULL,
        reason         text        NOT NULL,
        cause_event_id uuid        NOT NULL,
        source_offset  bigint      NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, purpose)
      )`,
    `
      CREATE TABLE training_manifest (
        manifest_id    uuid        PRIMARY KEY,
        job_id         text        NOT NULL,
        dataset_id     text        NOT NULL,
        purpose        text        NOT NULL,
        requested      integer     NOT NULL,
        allowed        integer     NOT NULL,
        log_position   jsonb       NOT NULL,
        policy_version text        NOT NULL,
        issued_by      text        NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE training_manifest_subject (
        manifest_id uuid NOT NULL REFERENCES training_manifest (manifest_id),
        subject_id  text NOT NULL,
        PRIMARY KEY (manifest_id, subject_id)
      )`,
    `CREATE INDEX training_manifest_subject_subject_idx ON training_manifest_subject (subject_id)`,
  ],
  down: [
    'DROP TABLE training_manifest_subject',
    'DROP TABLE training_manifest',
    'DROP TABLE ml_training_exclusion',
  ],
});
