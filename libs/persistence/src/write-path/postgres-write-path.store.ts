import type { KnownKey, SubjectConsentState } from '@consent-ledger/consent-domain';
import { idempotencyKeyOf } from '@consent-ledger/consent-domain';
import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { ConsentReadModelRepository } from '../consent-read-model.repository';
import { queryPrepared } from '../prepared-query';
import { WRITE_PATH_STORE } from './write-path.store';
import type {
  LapsedGrant,
  LockedHeads,
  NewHead,
  StoredEventRecord,
  WritePathStore,
  WritePathTransaction,
  WrittenEvent,
} from './write-path.store';

/**
 * Whether choice `c`'s subject was erased: the write head says so from the ERASE's own commit (the
 * read model's grants stay as they were), and nothing of theirs may be recorded again.
 */
export const SUBJECT_ERASED_SQL = `EXISTS (SELECT 1 FROM consent_write_head h
  WHERE h.subject_id = c.subject_id AND h.erased_at IS NOT NULL)`;

/** The write path on PostgreSQL: `consent_write_head`, `idempotency_record`, `unacknowledged_event`. */
export class PostgresWritePathStore implements WritePathStore {
  private readonly readModel = new ConsentReadModelRepository();

  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (transaction: WritePathTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work(new PostgresWritePathTransaction(manager)),
    );
  }

  async subjectsLongUnacknowledged(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ subject_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT subject_id FROM unacknowledged_event
        WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => row.subject_id);
  }

  async forgetAcknowledged(eventIds: readonly string[]): Promise<void> {
    await this.dataSource.query(
      'DELETE FROM unacknowledged_event WHERE event_id = ANY($1::uuid[])',
      [eventIds],
    );
  }

  async usedKeys(subjectId: string, keys: readonly string[]): Promise<Set<string>> {
    const rows = (await this.dataSource.query(
      'SELECT idempotency_key FROM idempotency_record WHERE subject_id = $1 AND idempotency_key = ANY($2::text[])',
      [subjectId, keys],
    )) as Array<{ idempotency_key: string }>;
    return new Set(rows.map((row) => row.idempotency_key));
  }

  async subjectState(subjectId: string): Promise<SubjectConsentState> {
    const states = await this.readModel.loadStates(this.dataSource.manager, [subjectId]);
    return states.get(subjectId)!;
  }

  async nextGrantExpiry(at: Date): Promise<Date | null> {
    const [row]: Array<{ next: Date | null }> = await this.dataSource.query(
      `SELECT min(expires_at) AS next FROM consent_choice
        WHERE action = 'GRANT' AND expires_at IS NOT NULL AND expires_at > $1`,
      [at],
    );
    return row?.next ?? null;
  }

  async lapsedGrants(limit: number, at: Date, after?: LapsedGrant): Promise<LapsedGrant[]> {
    const rows: Array<{
      subject_id: string;
      purpose: string;
      event_id: string;
      expires_at: Date;
      jurisdiction: string;
      legal_basis: string;
    }> = await this.dataSource.query(
      `SELECT subject_id, purpose, event_id, expires_at, jurisdiction, legal_basis FROM consent_choice
        WHERE action = 'GRANT' AND expires_at IS NOT NULL AND expires_at <= $2
          AND (expires_at, subject_id, purpose) > ($3, $4, $5)
        ORDER BY expires_at, subject_id, purpose LIMIT $1`,
      [limit, at, after?.expiresAt ?? new Date(0), after?.subjectId ?? '', after?.purpose ?? ''],
    );
    // Asked apart (a few rows of a partial index), not joined into the page's scan, which the
    // expiry schedule runs hundreds of times in a burst of expiries.
    const erased = new Set(
      rows.length === 0
        ? []
        : (
            (await this.dataSource.query(
              `SELECT subject_id FROM consent_write_head
                WHERE subject_id = ANY($1) AND erased_at IS NOT NULL`,
              [[...new Set(rows.map((row) => row.subject_id))]],
            )) as Array<{ subject_id: string }>
          ).map((row) => row.subject_id),
    );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      purpose: row.purpose,
      eventId: row.event_id,
      expiresAt: row.expires_at,
      jurisdiction: row.jurisdiction,
      legalBasis: row.legal_basis,
      erased: erased.has(row.subject_id),
    }));
  }
}

/** The SQL of one write-path transaction; every statement runs on its manager. */
class PostgresWritePathTransaction implements WritePathTransaction {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Locks each subject's chain head (creating it on first use) in a fixed order: no deadlocks.
   * ON CONFLICT DO UPDATE locks an existing head and works on its latest committed version, also
   * one a concurrent writer of the same subject committed after this statement began (the
   * statement waits for that writer), so RETURNING gives the head to chain to. Which subjects
   * have events Kafka has not acknowledged is asked in a statement of its own, after the locks
   * are held: a subquery of the locking statement would read with the snapshot taken before the
   * wait, and miss the event that writer has just committed and not yet sent, so the next event
   * could reach Kafka before the one it links to.
   */
  async lockChainHeads(subjects: readonly string[]): Promise<LockedHeads> {
    const heads: Array<{ subject_id: string; last_event_hash: string | null; erased: boolean }> =
      await queryPrepared(
        this.manager,
        `INSERT INTO consent_write_head AS h (subject_id) SELECT unnest($1::text[]) ORDER BY 1
         ON CONFLICT (subject_id) DO UPDATE SET subject_id = h.subject_id
         RETURNING h.subject_id, h.last_event_hash, h.erased_at IS NOT NULL AS erased`,
        [subjects],
      );
    const unacknowledged: Array<{ subject_id: string }> = await queryPrepared(
      this.manager,
      'SELECT DISTINCT subject_id FROM unacknowledged_event WHERE subject_id = ANY($1::text[])',
      [subjects],
    );
    return {
      heads: new Map(heads.map((row) => [row.subject_id, row.last_event_hash])),
      unacknowledgedIn: unacknowledged.map((row) => row.subject_id),
      erased: new Set(heads.filter((row) => row.erased).map((row) => row.subject_id)),
    };
  }

  /** The keys among these that were used before, by `idempotencyKeyOf`. */
  async knownKeys(
    keys: ReadonlyArray<{ readonly subjectId: string; readonly idempotencyKey: string }>,
  ): Promise<Map<string, KnownKey>> {
    const rows: Array<{
      subject_id: string;
      idempotency_key: string;
      event_id: string;
      request_sha256: string;
    }> = await queryPrepared(
      this.manager,
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
        idempotencyKeyOf(row.subject_id, row.idempotency_key),
        { eventId: row.event_id, fingerprint: row.request_sha256 },
      ]),
    );
  }

  /** The subjects' events Kafka has not acknowledged yet, in the order they were written. */
  async unacknowledged(subjects: readonly string[]): Promise<StoredEventRecord[]> {
    const rows: Array<{ event_id: string; subject_id: string; value: Buffer }> =
      await queryPrepared(
        this.manager,
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

  /**
   * Records a group's events in one statement: their idempotency keys, their exact bytes (kept
   * until Kafka acknowledges them) and each subject's new head (the hash of its last event).
   */
  async recordWritten(
    written: readonly WrittenEvent[],
    newHeads: ReadonlyMap<string, NewHead>,
  ): Promise<void> {
    const subjects = [...newHeads.keys()];
    await queryPrepared(
      this.manager,
      // The heads exist (locked above): ON CONFLICT finds each through the primary key, a plan no
      // statistics can turn into a scan of every head (an UPDATE … FROM unnest can become one).
      `WITH keys AS (
         INSERT INTO idempotency_record (subject_id, idempotency_key, event_id, request_sha256)
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[])
       ), records AS (
         INSERT INTO unacknowledged_event (event_id, subject_id, value)
         SELECT * FROM unnest($3::uuid[], $1::text[], $8::bytea[])
       )
       INSERT INTO consent_write_head AS h (subject_id, last_event_id, last_event_hash, erased_at)
       SELECT s, e, x, CASE WHEN erased THEN now() END
         FROM unnest($5::text[], $6::uuid[], $7::text[], $9::boolean[]) AS n(s, e, x, erased)
       ON CONFLICT (subject_id) DO UPDATE SET last_event_id = EXCLUDED.last_event_id,
         last_event_hash = EXCLUDED.last_event_hash, updated_at = now(),
         erased_at = COALESCE(h.erased_at, EXCLUDED.erased_at)`,
      [
        written.map(({ subjectId }) => subjectId),
        written.map(({ idempotencyKey }) => idempotencyKey),
        written.map(({ eventId }) => eventId),
        written.map(({ fingerprint }) => fingerprint),
        subjects,
        subjects.map((subject) => newHeads.get(subject)!.eventId),
        subjects.map((subject) => newHeads.get(subject)!.hash),
        written.map(({ value }) => value),
        subjects.map((subject) => newHeads.get(subject)!.erased),
      ],
    );
  }
}

/** Provides the {@link WRITE_PATH_STORE} on the app's PostgreSQL data source. */
export const writePathStoreProvider: Provider = {
  provide: WRITE_PATH_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new PostgresWritePathStore(dataSource),
};
