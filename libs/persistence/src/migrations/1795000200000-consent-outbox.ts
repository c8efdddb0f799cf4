import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: decision changes written by the projector in the same transaction as
 * the view, then published to the state and suppression topics by the relay and deleted. A crash
 * between the commit and the publish loses nothing; a crash after the publish re-sends, which
 * consumers absorb by cause event id.
 */
export class ConsentOutbox1795000200000 implements MigrationInterface {
  name = 'ConsentOutbox1795000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE consent_outbox (
        id          bigserial   PRIMARY KEY,
        topic       text        NOT NULL,
        message_key text        NOT NULL,
        payload     jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE consent_outbox');
  }
}
