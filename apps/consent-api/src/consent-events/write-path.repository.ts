import { queryPrepared } from '@consent-ledger/persistence';
import type { EntityManager } from 'typeorm';
import type { EventRecord } from './consent-event.publisher';

/** An idempotency key already used: the event it wrote, and the fingerprint of its request. */
export interface KnownKey {
  readonly eventId: string;
  readonly fingerprint: string;
}

/** One event a group writes, as the database keeps it until Kafka acknowledges it. */
export interface WrittenEvent extends EventRecord {
  readonly idempotencyKey: string;
  /** SHA-256 of the request that wrote it (a reused key with other content is a conflict). */
  readonly fingerprint: string;
}

/** The map key of an idempotency key: its subject and the key. */
export const keyOf = (subjectId: string, idempotencyKey: string) =>
  `${subjectId}\u0000${idempotencyKey}`;

/**
 * The write path's SQL: the subjects' chain heads (locked), the idempotency keys already used,
 * and the events Kafka has not acknowledged yet. Every method runs on the manager it is given,
 * inside the writer's transaction.
 */
export class WritePathRepository {
  /**
   * Locks each subject's chain head (creating it on first use) in a fixed order: no deadlocks.
   * One statement: ON CONFLICT DO UPDATE locks an existing head and works on its latest committed
   * version, also one a concurrent writer of the same new subject inserted after this statement
   * began (the INSERT waits for that writer), so RETURNING gives the head to chain to. It also
   * says which subjects have events Kafka has not acknowledged: almost never any, and no round
   * trip more to learn it.
   */
  async lockChainHeads(
    manager: EntityManager,
    subjects: readonly string[],
  ): Promise<{ heads: Map<string, string | null>; unacknowledgedIn: string[] }> {
    const rows: Array<{
      subject_id: string;
      last_event_hash: string | null;
      unacknowledged: boolean;
    }> = await queryPrepared(
      manager,
      `INSERT INTO consent_write_head AS h (subject_id) SELECT unnest($1::text[]) ORDER BY 1
       ON CONFLICT (subject_id) DO UPDATE SET subject_id = h.subject_id
       RETURNING h.subject_id, h.last_event_hash,
         EXISTS (SELECT 1 FROM unacknowledged_event u WHERE u.subject_id = h.subject_id) AS unacknowledged`,
      [subjects],
    );
    return {
      heads: new Map(rows.map((row) => [row.subject_id, row.last_event_hash])),
      unacknowledgedIn: rows.filter((row) => row.unacknowledged).map((row) => row.subject_id),
    };
  }

  /** The keys among these that were used before, by {@link keyOf}. */
  async knownKeys(
    manager: EntityManager,
    keys: ReadonlyArray<{ readonly subjectId: string; readonly idempotencyKey: string }>,
  ): Promise<Map<string, KnownKey>> {
    const rows: Array<{
      subject_id: string;
      idempotency_key: string;
      event_id: string;
      request_sha256: string;
    }> = await queryPrepared(
      manager,
      // One primary-key lookup per key whatever the statistics say (LIMIT 1: not flattened).
      `SELECT r.subject_id, r.idempotency_key, r.event_id, r.request_sha256
         FROM unnest($1::text[], $2::text[]) AS k(subject_id, idempotency_key)
         CROSS JOIN LATERAL (
           SELECT subject_id, idempotency_key, event_id, request_sha256 FROM idempotency_record
            WHERE subject_id = k.subject_id AND idempotency_key = k.idempotency_key LIMIT 1) r`,
      [keys.map(({ subjectId }) => subjectId), keys.map(({ idempotencyKey }) => idempotencyKey)],
    );
    return new Map(
      rows.map((row) => [
        keyOf(row.subject_id, row.idempotency_key),
        { eventId: row.event_id, fingerprint: row.request_sha256 },
      ]),
    );
  }

  /** The subjects' events Kafka has not acknowledged yet, in the order they were written. */
  async unacknowledged(
    manager: EntityManager,
    subjects: readonly string[],
  ): Promise<EventRecord[]> {
    const rows: Array<{ event_id: string; subject_id: string; value: Buffer }> =
      await queryPrepared(
        manager,
        `SELECT event_id, subject_id, value FROM unacknowledged_event
          WHERE subject_id = ANY($1::text[]) ORDER BY seq`,
        [subjects],
      );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      eventId: row.event_id,
      value: row.value,
    }));
  }

  /** Up to `limit` subjects with events Kafka has not acknowledged for longer than `olderThanMs`. */
  async subjectsLongUnacknowledged(
    manager: EntityManager,
    olderThanMs: number,
    limit: number,
  ): Promise<string[]> {
    const rows: Array<{ subject_id: string }> = await manager.query(
      `SELECT DISTINCT subject_id FROM unacknowledged_event
        WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => row.subject_id);
  }

  /**
   * Records a group's events in one statement: their idempotency keys, their exact bytes (kept
   * until Kafka acknowledges them) and each subject's new head (the hash of its last event).
   */
  async recordWritten(
    manager: EntityManager,
    written: readonly WrittenEvent[],
    newHeads: ReadonlyMap<string, { readonly eventId: string; readonly hash: string | null }>,
  ): Promise<void> {
    const subjects = [...newHeads.keys()];
    await queryPrepared(
      manager,
      // The heads exist (locked above): ON CONFLICT finds each through the primary key, a plan no
      // statistics can turn into a scan of every head (an UPDATE … FROM unnest can become one).
      `WITH keys AS (
         INSERT INTO idempotency_record (subject_id, idempotency_key, event_id, request_sha256)
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[])
       ), records AS (
         INSERT INTO unacknowledged_event (event_id, subject_id, value)
         SELECT * FROM unnest($3::uuid[], $1::text[], $8::bytea[])
       )
       INSERT INTO consent_write_head AS h (subject_id, last_event_id, last_event_hash)
       SELECT * FROM unnest($5::text[], $6::uuid[], $7::text[])
       ON CONFLICT (subject_id) DO UPDATE SET last_event_id = EXCLUDED.last_event_id,
         last_event_hash = EXCLUDED.last_event_hash, updated_at = now()`,
      [
        written.map(({ subjectId }) => subjectId),
        written.map(({ idempotencyKey }) => idempotencyKey),
        written.map(({ eventId }) => eventId),
        written.map(({ fingerprint }) => fingerprint),
        subjects,
        subjects.map((subject) => newHeads.get(subject)!.eventId),
        subjects.map((subject) => newHeads.get(subject)!.hash),
        written.map(({ value }) => value),
      ],
    );
  }
}
