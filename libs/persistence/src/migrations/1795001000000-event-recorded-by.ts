import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every consent event says who wrote it: the API key id whose request recorded it, or
 * system:<component> for the system's own events (null for events written before it was kept).
 */
export class EventRecordedBy1795001000000 implements MigrationInterface {
  name = 'EventRecordedBy1795001000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE consent_event ADD COLUMN recorded_by text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE consent_event DROP COLUMN recorded_by`);
  }
}
