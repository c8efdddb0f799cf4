import type { EntityManager } from 'typeorm';
import type { SqlWrite } from './combined-writes';

/** A message waiting in the outbox. */
export interface OutboxMessage {
  readonly topic: string;
  readonly key: string;
  readonly payload: Record<string, unknown>;
}

export interface StoredOutboxMessage extends OutboxMessage {
  readonly id: string;
}

/** Notified on commit of a transaction that wrote to the outbox; the relay listens. */
export const OUTBOX_CHANNEL = 'consent_outbox';

/** Advisory lock key held by the one relay that drains at a time (keeps per-key order). */
const RELAY_LOCK = 7_434_001;

export class ConsentOutboxRepository {
  /**
   * Adds messages in the caller's transaction and wakes the relay when it commits (run it with
   * {@link runWrites}).
   */
  addWrite(messages: readonly OutboxMessage[]): SqlWrite | undefined {
    if (messages.length === 0) return undefined;
    // One JSON document rather than a jsonb[] array: no array-literal escaping of every payload.
    return {
      sql: `INSERT INTO consent_outbox (topic, message_key, payload)
       SELECT m.topic, m.message_key, m.payload
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (topic text, message_key text, payload jsonb))
              WITH ORDINALITY AS m(topic, message_key, payload, n)
        ORDER BY m.n`,
      params: [
        JSON.stringify(
          messages.map((message) => ({
            topic: message.topic,
            message_key: message.key,
            payload: message.payload,
          })),
        ),
      ],
      notify: OUTBOX_CHANNEL,
    };
  }

  /**
   * In the caller's transaction: takes the relay lock (null when another relay holds it) and
   * returns the oldest messages, in one round trip (the lock is tried once, before the read).
   */
  async claimOldest(manager: EntityManager, limit: number): Promise<StoredOutboxMessage[] | null> {
    const rows: Array<{
      locked: boolean;
      id: string | null;
      topic: string;
      message_key: string;
      payload: Record<string, unknown>;
    }> = await manager.query(
      `WITH relay AS MATERIALIZED (SELECT pg_try_advisory_xact_lock($1) AS locked)
       SELECT relay.locked, oldest.* FROM relay LEFT JOIN LATERAL (
         SELECT id, topic, message_key, payload FROM consent_outbox WHERE relay.locked ORDER BY id LIMIT $2
       ) oldest ON true ORDER BY oldest.id`,
      [RELAY_LOCK, limit],
    );
    if (!rows[0]?.locked) return null;
    return rows
      .filter((row) => row.id !== null)
      .map((row) => ({
        id: String(row.id),
        topic: row.topic,
        key: row.message_key,
        payload: row.payload,
      }));
  }

  async remove(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0)
      await manager.query(`DELETE FROM consent_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async backlog(manager: EntityManager): Promise<number> {
    const [{ count }] = await manager.query(`SELECT count(*)::int AS count FROM consent_outbox`);
    return count;
  }
}
