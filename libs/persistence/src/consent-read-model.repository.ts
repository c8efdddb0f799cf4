import type { ConsentEvent, SubjectConsentState } from '@consent-ledger/consent-domain';
import type { EntityManager } from 'typeorm';
import { runReads } from './combined-writes';
import type { SqlRead, SqlWrite } from './combined-writes';
import { eventFromRow, stateFromRows } from './consent-read-model.rows';
import type {
  ConsentChoiceRow,
  ConsentEventRow,
  ConsentSubjectRow,
  LogPosition,
} from './consent-read-model.rows';

/** An event together with where it was read from the log. */
export interface PositionedEvent {
  readonly event: ConsentEvent;
  readonly position: LogPosition;
}

export interface EventPage {
  readonly events: Array<ConsentEvent & { readonly position: LogPosition }>;
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Reads and writes the consent read model. Every method runs on the manager it is given. */
export class ConsentReadModelRepository {
  /** The fold's state for each subject, from the read model (initial state when unknown). */
  async loadStates(
    manager: EntityManager,
    subjectIds: readonly string[],
  ): Promise<Map<string, SubjectConsentState>> {
    const [subjects, choices] = await runReads(manager, this.statesReads(subjectIds));
    return this.statesFrom(subjectIds, subjects!, choices!);
  }

  /**
   * The reads behind {@link loadStates}, to run with others in one round trip ({@link runReads});
   * {@link statesFrom} turns their rows into states.
   */
  statesReads(subjectIds: readonly string[]): [SqlRead, SqlRead] {
    const unique = [...new Set(subjectIds)];
    // Index lookups per subject whatever the statistics say (OFFSET 0 keeps the planner from
    // flattening them into a join it may run as a scan of the table).
    return [
      {
        sql: `SELECT s.* FROM unnest($1::text[]) AS k(subject_id)
          CROSS JOIN LATERAL (SELECT * FROM consent_subject WHERE subject_id = k.subject_id OFFSET 0) s`,
        params: [unique],
      },
      {
        sql: `SELECT c.* FROM unnest($1::text[]) AS k(subject_id)
          CROSS JOIN LATERAL (SELECT * FROM consent_choice WHERE subject_id = k.subject_id OFFSET 0) c`,
        params: [unique],
      },
    ];
  }

  /** The states of these subjects from the rows of {@link statesReads} (JSON: dates revived). */
  statesFrom(
    subjectIds: readonly string[],
    subjects: readonly unknown[],
    choices: readonly unknown[],
  ): Map<string, SubjectConsentState> {
    const subjectRows = new Map(
      subjects.map((json) => {
        const row = reviveDates(json as ConsentSubjectRow, SUBJECT_DATES);
        return [row.subject_id, row];
      }),
    );
    const choiceRows = new Map<string, ConsentChoiceRow[]>();
    for (const json of choices) {
      const row = reviveDates(json as ConsentChoiceRow, CHOICE_DATES);
      const rows = choiceRows.get(row.subject_id);
      if (rows) rows.push(row);
      else choiceRows.set(row.subject_id, [row]);
    }
    return new Map(
      subjectIds.map((subjectId) => [
        subjectId,
        stateFromRows(subjectRows.get(subjectId), choiceRows.get(subjectId) ?? []),
      ]),
    );
  }

  /**
   * Each subject's chain head as the projector last left it, from the rows of {@link statesReads}:
   * the hash of its last applied event, null for a subject with no event yet, undefined for one
   * projected before heads were kept.
   */
  chainHeadsFrom(
    subjectIds: readonly string[],
    subjects: readonly unknown[],
  ): Map<string, string | null | undefined> {
    const rows = new Map(
      subjects.map((json) => {
        const row = json as Pick<ConsentSubjectRow, 'subject_id' | 'last_event_hash'>;
        // bytea reaches JSON as "\\x<hex>".
        return [row.subject_id, row.last_event_hash?.slice(2)];
      }),
    );
    return new Map(
      subjectIds.map((subjectId) => [subjectId, rows.has(subjectId) ? rows.get(subjectId) : null]),
    );
  }

  /**
   * Finds which of these events the read model already holds (same event id or idempotency
   * key), to run with others in one round trip; {@link appliedFrom} reads its rows.
   */
  alreadyAppliedRead(events: readonly ConsentEvent[]): SqlRead {
    return {
      // Index lookups only: written with OR, PostgreSQL scans the whole history for each batch
      // (LIMIT 1 keeps the per-key lookups from being flattened into a join).
      sql: `SELECT e.event_id, e.subject_id, e.idempotency_key
           FROM unnest($1::uuid[]) AS k(event_id)
           CROSS JOIN LATERAL (
             SELECT event_id, subject_id, idempotency_key FROM consent_event WHERE event_id = k.event_id LIMIT 1) e
         UNION
         SELECT e.event_id, e.subject_id, e.idempotency_key
           FROM unnest($2::text[], $3::text[]) AS k(subject_id, idempotency_key)
           CROSS JOIN LATERAL (
             SELECT event_id, subject_id, idempotency_key FROM consent_event
              WHERE subject_id = k.subject_id AND idempotency_key = k.idempotency_key LIMIT 1) e`,
      params: [
        events.map((event) => event.eventId),
        events.map((event) => event.subjectId),
        events.map((event) => event.idempotencyKey),
      ],
    };
  }

  /** Of these events, the ids of those {@link alreadyAppliedRead}'s rows show as applied. */
  appliedFrom(events: readonly ConsentEvent[], rows: readonly unknown[]): Set<string> {
    const found = rows as ReadonlyArray<{
      event_id: string;
      subject_id: string;
      idempotency_key: string;
    }>;
    const ids = new Set(found.map((row) => row.event_id));
    const keys = new Set(found.map((row) => `${row.subject_id}\u0000${row.idempotency_key}`));
    return new Set(
      events
        .filter(
          (event) =>
            ids.has(event.eventId) || keys.has(`${event.subjectId}\u0000${event.idempotencyKey}`),
        )
        .map((event) => event.eventId),
    );
  }

  /** Appends events to the history (run it with {@link runWrites}). */
  insertEventsWrite(events: readonly PositionedEvent[]): SqlWrite | undefined {
    if (events.length === 0) return undefined;
    const column = <T>(pick: (entry: PositionedEvent) => T) => events.map(pick);
    return {
      sql: `INSERT INTO consent_event (event_id, subject_id, purpose, action, jurisdiction, legal_basis, channel, method,
         notice_id, notice_version, notice_text_sha256, occurred_at, recorded_at, expires_at, actor_type, actor_id,
         evidence, age_band, idempotency_key, previous_event_hash, source_topic, source_partition, source_offset,
         recorded_by)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::text[], $16::text[],
         $17::jsonb[], $18::text[], $19::text[], $20::text[], $21::text[], $22::int[], $23::bigint[], $24::text[])`,
      params: [
        column(({ event }) => event.eventId),
        column(({ event }) => event.subjectId),
        column(({ event }) => event.purpose),
        column(({ event }) => event.action),
        column(({ event }) => event.jurisdiction),
        column(({ event }) => event.legalBasis),
        column(({ event }) => event.channel),
        column(({ event }) => event.method),
        column(({ event }) => event.notice?.noticeId ?? null),
        column(({ event }) => event.notice?.version ?? null),
        column(({ event }) => event.notice?.textSha256 ?? null),
        column(({ event }) => event.occurredAt),
        column(({ event }) => event.recordedAt),
        column(({ event }) => event.expiresAt),
        column(({ event }) => event.actor.type),
        column(({ event }) => event.actor.id),
        column(({ event }) => (event.evidence ? JSON.stringify(event.evidence) : null)),
        column(({ event }) => event.ageBand),
        column(({ event }) => event.idempotencyKey),
        column(({ event }) => event.previousEventHash),
        column(({ position }) => position.topic),
        column(({ position }) => position.partition),
        column(({ position }) => position.offset),
        column(({ event }) => event.recordedBy ?? null),
      ],
    };
  }

  /**
   * Writes the subjects' states (their choices and attributes), replacing what was there (run
   * them with {@link runWrites}).
   */
  saveStatesWrites(
    states: ReadonlyMap<string, SubjectConsentState>,
    eventCounts: ReadonlyMap<string, number>,
    chainHeads: ReadonlyMap<string, string>,
  ): SqlWrite[] {
    if (states.size === 0) return [];
    const subjects = [...states.entries()];
    const subjectWrite: SqlWrite = {
      sql: `INSERT INTO consent_subject AS s (subject_id, jurisdiction, jurisdiction_occurred_at, jurisdiction_event_id,
         age_band, age_band_occurred_at, age_band_event_id, event_count, last_event_hash, updated_at)
       SELECT u.s, u.j, u.jo, u.je, u.a, u.ao, u.ae, u.n, decode(u.h, 'hex'), now()
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::uuid[], $5::text[], $6::timestamptz[], $7::uuid[], $8::int[], $9::text[])
           AS u(s, j, jo, je, a, ao, ae, n, h)
       ON CONFLICT (subject_id) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction,
         jurisdiction_occurred_at = EXCLUDED.jurisdiction_occurred_at, jurisdiction_event_id = EXCLUDED.jurisdiction_event_id,
         age_band = EXCLUDED.age_band, age_band_occurred_at = EXCLUDED.age_band_occurred_at,
         age_band_event_id = EXCLUDED.age_band_event_id, event_count = s.event_count + EXCLUDED.event_count,
         last_event_hash = coalesce(EXCLUDED.last_event_hash, s.last_event_hash), updated_at = now()`,
      params: [
        subjects.map(([id]) => id),
        subjects.map(([, state]) => state.jurisdiction),
        subjects.map(([, state]) => state.jurisdictionAsOf?.occurredAt ?? null),
        subjects.map(([, state]) => state.jurisdictionAsOf?.eventId ?? null),
        subjects.map(([, state]) => state.ageBand),
        subjects.map(([, state]) => state.ageBandAsOf?.occurredAt ?? null),
        subjects.map(([, state]) => state.ageBandAsOf?.eventId ?? null),
        subjects.map(([id]) => eventCounts.get(id) ?? 0),
        subjects.map(([id]) => chainHeads.get(id) ?? null),
      ],
    };
    const choices = subjects.flatMap(([id, state]) =>
      Object.values(state.choices).map((choice) => ({ id, choice })),
    );
    if (choices.length === 0) return [subjectWrite];
    const choiceWrite: SqlWrite = {
      sql: `INSERT INTO consent_choice (subject_id, purpose, action, event_id, occurred_at, recorded_at, expires_at, legal_basis,
         channel, method, notice_id, notice_version, notice_text_sha256, jurisdiction)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
       ON CONFLICT (subject_id, purpose) DO UPDATE SET action = EXCLUDED.action, event_id = EXCLUDED.event_id,
         occurred_at = EXCLUDED.occurred_at, recorded_at = EXCLUDED.recorded_at, expires_at = EXCLUDED.expires_at,
         legal_basis = EXCLUDED.legal_basis, channel = EXCLUDED.channel, method = EXCLUDED.method,
         notice_id = EXCLUDED.notice_id, notice_version = EXCLUDED.notice_version,
         notice_text_sha256 = EXCLUDED.notice_text_sha256, jurisdiction = EXCLUDED.jurisdiction
       WHERE consent_choice.event_id IS DISTINCT FROM EXCLUDED.event_id`,
      params: [
        choices.map(({ id }) => id),
        choices.map(({ choice }) => choice.purpose),
        choices.map(({ choice }) => choice.action),
        choices.map(({ choice }) => choice.eventId),
        choices.map(({ choice }) => choice.occurredAt),
        choices.map(({ choice }) => choice.recordedAt),
        choices.map(({ choice }) => choice.expiresAt),
        choices.map(({ choice }) => choice.legalBasis),
        choices.map(({ choice }) => choice.channel),
        choices.map(({ choice }) => choice.method),
        choices.map(({ choice }) => choice.notice?.noticeId ?? null),
        choices.map(({ choice }) => choice.notice?.version ?? null),
        choices.map(({ choice }) => choice.notice?.textSha256 ?? null),
        choices.map(({ choice }) => choice.jurisdiction),
      ],
    };
    return [subjectWrite, choiceWrite];
  }

  /** The subject's events recorded at or before `asOf`: what the system knew at that moment. */
  async eventsRecordedBy(
    manager: EntityManager,
    subjectId: string,
    asOf: Date,
  ): Promise<ConsentEvent[]> {
    const rows: ConsentEventRow[] = await manager.query(
      `SELECT * FROM consent_event WHERE subject_id = $1 AND recorded_at <= $2 ORDER BY recorded_at, event_id`,
      [subjectId, asOf],
    );
    return rows.map(eventFromRow);
  }

  /** One subject's events in the order they were recorded, a page at a time. */
  async listEvents(
    manager: EntityManager,
    subjectId: string,
    limit: number,
    after: string | null,
  ): Promise<EventPage> {
    const cursor = after ? decodeCursor(after) : null;
    const rows: ConsentEventRow[] = await manager.query(
      `SELECT * FROM consent_event
        WHERE subject_id = $1 AND ($2::timestamptz IS NULL OR (recorded_at, event_id) > ($2::timestamptz, $3::uuid))
        ORDER BY recorded_at, event_id LIMIT $4`,
      [subjectId, cursor?.recordedAt ?? null, cursor?.eventId ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map((row) => ({
        ...eventFromRow(row),
        position: {
          topic: row.source_topic,
          partition: row.source_partition,
          offset: String(row.source_offset),
        },
      })),
      nextCursor:
        rows.length > limit && last ? encodeCursor(last.recorded_at, last.event_id) : null,
    };
  }
}

function encodeCursor(recordedAt: Date, eventId: string): string {
  return Buffer.from(JSON.stringify([recordedAt.toISOString(), eventId])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Thrown for a cursor this API did not issue. */
export class InvalidCursorError extends Error {
  readonly code = 'REQUEST.INVALID_CURSOR';
}

function decodeCursor(cursor: string): { recordedAt: string; eventId: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) throw new Error('malformed');
    const [recordedAt, eventId] = decoded as unknown[];
    // Exactly what encodeCursor writes: anything else would reach PostgreSQL as a bad timestamp
    // or uuid and fail there (a 500) instead of here (a 400).
    if (
      typeof recordedAt !== 'string' ||
      typeof eventId !== 'string' ||
      !UUID.test(eventId) ||
      Number.isNaN(Date.parse(recordedAt)) ||
      new Date(recordedAt).toISOString() !== recordedAt
    )
      throw new Error('malformed');
    return { recordedAt, eventId };
  } catch {
    throw new InvalidCursorError('not a cursor issued by this API; pass back nextCursor as given');
  }
}

const SUBJECT_DATES = ['jurisdiction_occurred_at', 'age_band_occurred_at'] as const;
const CHOICE_DATES = ['occurred_at', 'recorded_at', 'expires_at'] as const;

/** A row read as JSON, with its timestamp columns (ISO strings there) as Dates again. */
function reviveDates<Row extends object>(row: Row, columns: ReadonlyArray<keyof Row>): Row {
  const revived = { ...row };
  for (const column of columns) {
    const value = row[column];
    if (typeof value === 'string') revived[column] = new Date(value) as Row[keyof Row];
  }
  return revived;
}
