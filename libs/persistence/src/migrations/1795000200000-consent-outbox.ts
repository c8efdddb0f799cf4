import { sqlMigration } from './sql-migration';

/**
 * The transactional outbox: decision changes written by the projector in the same transaction as
 * the view, then published to the state and suppression topics by the relay and deleted. A crash
 * between the commit and the publish loses nothing; a crash after the publish re-sends, which
 * consumers absorb by cause event id.
 */
export const ConsentOutbox1795000200000 = sqlMigration('ConsentOutbox1795000200000', {
  up: [
    `
      CREATE TABLE consent_outbox (
        id          bigserial   PRIMARY KEY,
        topic       text        NOT NULL,
        message_key text        NOT NULL,
        payload     jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`,
  ],
  down: ['DROP TABLE consent_outbox'],
});
