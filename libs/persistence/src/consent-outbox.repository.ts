import type { EntityManager } from 'typeorm';

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
  /** Adds messages in the caller's transaction and wakes the relay when it commits. */
  async add(manager: EntityManager, messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await manager.query(
      `INSERT INTO consent_outbox (topic, message_key, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
      [
        messages.map((message) => message.topic),
        messages.map((message) => message.key),
        messages.map((message) => JSON.stringify(message.payload)),
      ],
    );
    await manager.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
  }

  /**
   * In the caller's transaction: takes the relay lock (null when another relay holds it) and
   * returns the oldest messages.
   */
  async claimOldest(manager: EntityManager, limit: number): Promise<StoredOutboxMessage[] | null> {
    const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
      RELAY_LOCK,
    ]);
    if (!locked) return null;
    const rows: Array<{
      id: string;
      topic: string;
      message_key: string;
      payload: Record<string, unknown>;
    }> = await manager.query(
      `SELECT id, topic, message_key, payload FROM consent_outbox ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
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
