import { sqlMigration } from './sql-migration';

/**
 * A sink applies every partition of a fetch together, so one vendor call may carry updates from
 * several partitions (and topics). An intent now lists them all (`spans`, 'topic:partition'):
 * whichever consumer is assigned any of them after a crash sends the call again. The table only
 * holds calls in flight (a few rows), so it is searched without an index on the spans.
 */
export const SinkCallSpans1795000800000 = sqlMigration('SinkCallSpans1795000800000', {
  up: [
    `ALTER TABLE sink_call_intent ADD COLUMN spans text[]`,
    `UPDATE sink_call_intent SET spans = ARRAY[topic || ':' || partition::text]`,
    `ALTER TABLE sink_call_intent ALTER COLUMN spans SET NOT NULL`,
    `DROP INDEX sink_call_intent_partition_idx`,
    `ALTER TABLE sink_call_intent DROP COLUMN topic, DROP COLUMN partition`,
  ],
  down: [
    `ALTER TABLE sink_call_intent ADD COLUMN topic text, ADD COLUMN partition integer`,
    `UPDATE sink_call_intent SET topic = split_part(spans[1], ':', 1),
         partition = split_part(spans[1], ':', 2)::int`,
    `ALTER TABLE sink_call_intent ALTER COLUMN topic SET NOT NULL, ALTER COLUMN partition SET NOT NULL, DROP COLUMN spans`,
    `CREATE INDEX sink_call_intent_partition_idx ON sink_call_intent (sink, topic, partition)`,
  ],
});
