import { sqlMigration } from './sql-migration';

/**
 * A vendor call that carries several updates, written before it is sent and removed in the
 * statement that records its deliveries. A sink that stopped in between (a crash, SIGKILL) finds
 * it on restart and sends the same call again with the same Idempotency-Key, so the vendor
 * applies it once even though the next batch would group the updates differently.
 */
export const SinkCallIntent1795000600000 = sqlMigration('SinkCallIntent1795000600000', {
  up: [
    `
      CREATE TABLE sink_call_intent (
        sink       text        NOT NULL,
        call_key   text        NOT NULL,
        topic      text        NOT NULL,
        partition  integer     NOT NULL,
        updates    jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sink, call_key)
      )`,
    `CREATE INDEX sink_call_intent_partition_idx ON sink_call_intent (sink, topic, partition)`,
  ],
  down: ['DROP TABLE sink_call_intent'],
});
