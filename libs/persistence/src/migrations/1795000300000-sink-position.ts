import { sqlMigration } from './sql-migration';

/**
 * What each connector last delivered per subject and purpose, by source offset. A connector
 * skips an update at or below it, so a re-published or re-consumed update is applied once and an
 * older update never overwrites a newer one at the vendor.
 */
export const SinkPosition1795000300000 = sqlMigration('SinkPosition1795000300000', {
  up: [
    `
      CREATE TABLE sink_position (
        sink           text        NOT NULL,
        subject_id     text        NOT NULL,
        purpose        text        NOT NULL,
        source_offset  bigint      NOT NULL,
        cause_event_id uuid        NOT NULL,
        allowed        boolean     NOT NULL,
        delivered_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sink, subject_id, purpose)
      )`,
  ],
  down: ['DROP TABLE sink_position'],
});
