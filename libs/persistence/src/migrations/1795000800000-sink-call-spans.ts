import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sink applies every partition of a fetch together, so one vendor call may carry updates from
 * several partitions (and topics). An intent now lists them all (`spans`, 'topic:partition'):
 * whichever consumer is assigned any of them after a crash sends the call again. The table only
 * holds calls in flight (a few rows), so it is searched without an index on the spans.
 */
export class SinkCallSpans1795000800000 implements MigrationInterface {
  name = 'SinkCallSpans1795000800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sink_call_intent ADD COLUMN spans text[]`);
    await queryRunner.query(
      `UPDATE sink_call_intent SET spans = ARRAY[topic || ':' || partition::text]`,
    );
    await queryRunner.query(`ALTER TABLE sink_call_intent ALTER COLUMN spans SET NOT NULL`);
    await queryRunner.query(`DROP INDEX sink_call_intent_partition_idx`);
    await queryRunner.query(
      `ALTER TABLE sink_call_intent DROP COLUMN topic, DROP COLUMN partition`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE sink_call_intent ADD COLUMN topic text, ADD COLUMN partition integer`,
    );
    await queryRunner.query(
      `UPDATE sink_call_intent SET topic = split_part(spans[1], ':', 1),
         partition = split_part(spans[1], ':', 2)::int`,
    );
    await queryRunner.query(
      `ALTER TABLE sink_call_intent ALTER COLUMN topic SET NOT NULL, ALTER COLUMN partition SET NOT NULL, DROP COLUMN spans`,
    );
    await queryRunner.query(
      `CREATE INDEX sink_call_intent_partition_idx ON sink_call_intent (sink, topic, partition)`,
    );
  }
}
