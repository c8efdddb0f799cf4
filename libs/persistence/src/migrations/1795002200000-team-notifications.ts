import { sqlMigration } from './sql-migration';

/**
 * Notifications to internal teams' webhooks: one row per subscription and event (the id is the
 * same on every attempt, so a receiver applies it once), sent with retries and backoff, and
 * dead-lettered when the attempts run out.
 */
export const TeamNotifications1795002200000 = sqlMigration('TeamNotifications1795002200000', {
  up: [
    `
      CREATE TABLE team_notification (
        notification_id text        PRIMARY KEY,
        subscription    text        NOT NULL,
        event_type      text        NOT NULL,
        event           jsonb       NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        attempts        integer     NOT NULL DEFAULT 0,
        last_error      text,
        delivered_at    timestamptz,
        dead_at         timestamptz
      )`,
    `CREATE INDEX team_notification_due_idx ON team_notification (next_attempt_at)
       WHERE delivered_at IS NULL AND dead_at IS NULL`,
  ],
  down: ['DROP TABLE team_notification'],
});
