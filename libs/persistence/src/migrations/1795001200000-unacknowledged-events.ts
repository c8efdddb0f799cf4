import { sqlMigration } from './sql-migration';

/**
 * Events the API sent but Kafka did not acknowledge in time: they may still land (the producer
 * keeps retrying, and a send cannot be recalled). Each is kept with its exact bytes until Kafka
 * acknowledges a re-send of the very same record (same event id, same chain link): a retry with
 * the same idempotency key re-sends it, any later write of its subject sends it first, and a
 * sweeper re-sends what is left. The log may then hold an event twice, as exact duplicates by id,
 * which every reader treats as one.
 */
export const UnacknowledgedEvents1795001200000 = sqlMigration('UnacknowledgedEvents1795001200000', {
  up: [
    `
      CREATE TABLE unacknowledged_event (
        event_id    uuid        PRIMARY KEY,
        -- The order they were written in: a subject's are sent again in chain order.
        seq         bigserial   NOT NULL,
        subject_id  text        NOT NULL,
        value       bytea       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`,
    `CREATE INDEX unacknowledged_event_subject ON unacknowledged_event (subject_id)`,
  ],
  down: [`DROP TABLE unacknowledged_event`],
});
