import type { ConsentEvent, ConsentUsageRecord } from '@consent-ledger/consent-domain';
import type { EntityManager } from 'typeorm';
import { eventFromRow } from './consent-read-model.rows';
import type { ConsentEventRow, LogPosition } from './consent-read-model.rows';

/** A notice version exactly as shown: its text is what the events' textSha256 commits to. */
export interface RegisteredNotice {
  readonly noticeId: string;
  readonly version: string;
  readonly textSha256: string;
  readonly text: string;
  readonly language: string | null;
  readonly title: string | null;
  readonly registeredBy: string;
  readonly registeredAt: Date;
}

/** What a downstream system was told, and when. */
export interface SinkDelivery {
  readonly sink: string;
  readonly purpose: string;
  readonly allowed: boolean;
  readonly causeEventId: string;
  readonly sourceOffset: string;
  readonly deliveredAt: Date;
}

/** One row of the usage log index (consent.decisions.v1). */
export type UsageRow = ConsentUsageRecord;

export interface UsageQuery {
  readonly subjectId?: string;
  readonly campaignId?: string;
  readonly jobId?: string;
  readonly limit: number;
}

/** A usage record as read from consent.decisions.v1, with where it was read. */
export type IndexedUsage = UsageRow & { readonly partition: number; readonly offset: string };

export type StoredEvent = ConsentEvent & { readonly position: LogPosition };

const usageColumns = `usage_id AS "usageId", kind, subject_id AS "subjectId", purpose, asked_by AS "askedBy",
  campaign_id AS "campaignId", job_id AS "jobId", manifest_id AS "manifestId", allowed, reason,
  deciding_event_id AS "decidingEventId", policy_version AS "policyVersion", regime, jurisdiction,
  log_position AS "logPosition",
  decided_at AS "decidedAt"`;

const positioned = (row: ConsentEventRow): StoredEvent => ({
  ...eventFromRow(row),
  position: {
    topic: row.source_topic,
    partition: row.source_partition,
    offset: String(row.source_offset),
  },
});

/** The read side an auditor needs from PostgreSQL. Every method runs on the manager it is given. */
export class AuditRepository {
  /** A subject's events as the projector stored them, in log order. */
  async eventsOfSubject(manager: EntityManager, subjectId: string): Promise<StoredEvent[]> {
    const rows: ConsentEventRow[] = await manager.query(
      `SELECT * FROM consent_event WHERE subject_id = $1 ORDER BY source_partition, source_offset`,
      [subjectId],
    );
    return rows.map(positioned);
  }

  /**
   * Every stored event (recorded at or before `asOf` when given), a page at a time in event-id
   * order, so that a read model of millions of events is never in memory at once.
   */
  async *allEvents(
    manager: EntityManager,
    asOf: Date | null,
    pageSize = 20_000,
  ): AsyncGenerator<StoredEvent[]> {
    let after: string | null = null;
    for (;;) {
      const rows: ConsentEventRow[] = await manager.query(
        `SELECT * FROM consent_event
          WHERE ($1::uuid IS NULL OR event_id > $1::uuid) AND ($2::timestamptz IS NULL OR recorded_at <= $2)
          ORDER BY event_id LIMIT $3`,
        [after, asOf, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map(positioned);
      after = rows[rows.length - 1]!.event_id;
    }
  }

  /** The API's chain head per subject: the hash of the last event it made durable. */
  async writeHeads(manager: EntityManager): Promise<Map<string, string>> {
    const rows: Array<{ subject_id: string; last_event_hash: string }> = await manager.query(
      `SELECT subject_id, last_event_hash FROM consent_write_head WHERE last_event_hash IS NOT NULL`,
    );
    return new Map(rows.map((row) => [row.subject_id, row.last_event_hash]));
  }

  async notices(
    manager: EntityManager,
    references: ReadonlyArray<{ noticeId: string; version: string }>,
  ): Promise<RegisteredNotice[]> {
    if (references.length === 0) return [];
    return manager.query(
      `SELECT notice_id AS "noticeId", version, text_sha256 AS "textSha256", text, language, title,
              registered_by AS "registeredBy", registered_at AS "registeredAt"
         FROM consent_notice WHERE (notice_id, version) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [references.map((ref) => ref.noticeId), references.map((ref) => ref.version)],
    );
  }

  /**
   * Registers a notice version. Versions are immutable: registering the same text again is a
   * no-op, a different text under the same id and version is refused (returns the existing one).
   */
  async registerNotice(
    manager: EntityManager,
    notice: Omit<RegisteredNotice, 'registeredAt'>,
  ): Promise<{ readonly created: boolean; readonly notice: RegisteredNotice }> {
    const inserted: RegisteredNotice[] = await manager.query(
      `INSERT INTO consent_notice (notice_id, version, text_sha256, text, language, title, registered_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
       RETURNING notice_id AS "noticeId", version, text_sha256 AS "textSha256", text, language, title,
                 registered_by AS "registeredBy", registered_at AS "registeredAt"`,
      [
        notice.noticeId,
        notice.version,
        notice.textSha256,
        notice.text,
        notice.language,
        notice.title,
        notice.registeredBy,
      ],
    );
    if (inserted[0]) return { created: true, notice: inserted[0] };
    const [existing] = await this.notices(manager, [notice]);
    return { created: false, notice: existing! };
  }

  async deliveriesOf(manager: EntityManager, subjectId: string): Promise<SinkDelivery[]> {
    return manager.query(
      `SELECT sink, purpose, allowed, cause_event_id AS "causeEventId", source_offset::text AS "sourceOffset",
              delivered_at AS "deliveredAt"
         FROM sink_delivery WHERE subject_id = $1 ORDER BY delivered_at, sink`,
      [subjectId],
    );
  }

  async usage(manager: EntityManager, query: UsageQuery): Promise<UsageRow[]> {
    return manager.query(
      `SELECT ${usageColumns} FROM consent_usage
        WHERE ($1::text IS NULL OR subject_id = $1) AND ($2::text IS NULL OR campaign_id = $2)
          AND ($3::text IS NULL OR job_id = $3)
        ORDER BY decided_at, usage_id LIMIT $4`,
      [query.subjectId ?? null, query.campaignId ?? null, query.jobId ?? null, query.limit],
    );
  }

  /** Indexes usage records read from the topic; a record read twice is stored once. */
  async indexUsage(manager: EntityManager, records: readonly IndexedUsage[]): Promise<void> {
    if (records.length === 0) return;
    const column = <T>(pick: (record: IndexedUsage) => T) => records.map(pick);
    await manager.query(
      `INSERT INTO consent_usage (usage_id, kind, subject_id, purpose, asked_by, campaign_id, job_id, manifest_id,
         allowed, reason, deciding_event_id, policy_version, log_position, decided_at, source_partition, source_offset,
         regime, jurisdiction)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::int[], $16::bigint[],
         $17::text[], $18::text[])
       ON CONFLICT (usage_id) DO NOTHING`,
      [
        column((r) => r.usageId),
        column((r) => r.kind),
        column((r) => r.subjectId),
        column((r) => r.purpose),
        column((r) => r.askedBy),
        column((r) => r.campaignId),
        column((r) => r.jobId),
        column((r) => r.manifestId),
        column((r) => r.allowed),
        column((r) => r.reason),
        column((r) => r.decidingEventId),
        column((r) => r.policyVersion),
        column((r) => r.logPosition),
        column((r) => r.decidedAt),
        column((r) => r.partition),
        column((r) => r.offset),
        column((r) => r.regime ?? null),
        column((r) => r.jurisdiction ?? null),
      ],
    );
  }
}
