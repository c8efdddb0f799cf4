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

/** Anything that runs a query and returns its rows: an EntityManager, or a session of the relay's. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Advisory lock key held by the one relay that drains (keeps per-key order). */
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
   * Takes the relay lock for the session that runs it (true), or finds another relay holding it
   * (false). The lock lasts until the session ends: run it on the relay's own connection.
   */
  async tryLockRelay(session: Queryable): Promise<boolean> {
    const [row] = (await session.query(`SELECT pg_try_advisory_lock($1) AS locked`, [
      RELAY_LOCK,
    ])) as Array<{ locked: boolean }>;
    return row?.locked === true;
  }

  /** The oldest messages, in the order they were added. */
  async oldest(session: Queryable, limit: number): Promise<StoredOutboxMessage[]> {
    const rows = (await session.query(
      `SELECT id, topic, message_key, payload FROM consent_outbox ORDER BY id LIMIT $1`,
      [limit],
    )) as Array<{
      id: string;
      topic: string;
      message_key: string;
      payload: Record<string, unknown>;
    }>;
    return rows.map((row) => ({
      id: String(row.id),
      topic: row.topic,
      key: row.message_key,
      payload: row.payload,
    }));
  }

  async remove(session: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length > 0)
      await session.query(`DELETE FROM consent_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async backlog(manager: EntityManager): Promise<number> {
    const [{ count }] = await manager.query(`SELECT count(*)::int AS count FROM consent_outbox`);
    return count;
  }
}
