import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ML training: the exclusion table kept by the ml-training connector, and the manifests issued
 * to training jobs with the subjects each one used, so that a later withdrawal can be traced to
 * the models trained on that person's data.
 */
export class MlTraining1795000400000 implements MigrationInterface {
  name = 'MlTraining1795000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ml_training_exclusion (
        subject_id     text        NOT NULL,
        purpose        text        NOT NULL,
        allowed        boolean     NOT NULL,
        reason         text        NOT NULL,
        cause_event_id uuid        NOT NULL,
        source_offset  bigint      NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, purpose)
      )`);
    await queryRunner.query(`
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
      )`);
    await queryRunner.query(`
      CREATE TABLE training_manifest_subject (
        manifest_id uuid NOT NULL REFERENCES training_manifest (manifest_id),
        subject_id  text NOT NULL,
        PRIMARY KEY (manifest_id, subject_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX training_manifest_subject_subject_idx ON training_manifest_subject (subject_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'training_manifest_subject',
      'training_manifest',
      'ml_training_exclusion',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
