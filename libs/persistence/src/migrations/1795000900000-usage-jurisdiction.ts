import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A decision's usage record says under which regime it was decided and, when the request named a
 * jurisdiction that decided, which one: an auditor can tell an answer given under the subject's
 * own rules from one given under a jurisdiction the caller claimed.
 */
export class UsageJurisdiction1795000900000 implements MigrationInterface {
  name = 'UsageJurisdiction1795000900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE consent_usage ADD COLUMN regime text, ADD COLUMN jurisdiction text`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE consent_usage DROP COLUMN regime, DROP COLUMN jurisdiction`,
    );
  }
}
