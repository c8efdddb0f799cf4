import type {
  AgeBand,
  CollectionChannel,
  CollectionMethod,
  ConsentAction,
  ConsentEvent,
  LegalBasis,
  NoticeReference,
  PurposeChoice,
  SubjectConsentState,
} from '@consent-ledger/consent-domain';

/** Where an event sits in the log. */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ConsentChoiceRow {
  subject_id: string;
  purpose: string;
  action: ConsentAction;
  event_id: string;
  occurred_at: Date;
  recorded_at: Date;
  expires_at: Date | null;
  legal_basis: LegalBasis;
  channel: CollectionChannel;
  method: CollectionMethod;
  notice_id: string | null;
  notice_version: string | null;
  notice_text_sha256: string | null;
  jurisdiction: string;
}

export interface ConsentSubjectRow {
  subject_id: string;
  jurisdiction: string | null;
  jurisdiction_occurred_at: Date | null;
  jurisdiction_event_id: string | null;
  age_band: AgeBand | null;
  age_band_occurred_at: Date | null;
  age_band_event_id: string | null;
  /** The hash of the last event the projector applied, as JSON gives bytea ("\\x<hex>"; null before heads were kept). */
  last_event_hash?: string | null;
}

export interface ConsentEventRow extends Omit<ConsentChoiceRow, 'purpose'> {
  purpose: string;
  actor_type: ConsentEvent['actor']['type'];
  actor_id: string | null;
  evidence: ConsentEvent['evidence'];
  age_band: AgeBand | null;
  idempotency_key: string;
  previous_event_hash: string | null;
  recorded_by: string | null;
  source_topic: string;
  source_partition: number;
  source_offset: string;
}

type NoticeColumns = Pick<ConsentChoiceRow, 'notice_id' | 'notice_version' | 'notice_text_sha256'>;

function noticeFromRow(row: NoticeColumns): NoticeReference | null {
  return row.notice_id && row.notice_version && row.notice_text_sha256
    ? { noticeId: row.notice_id, version: row.notice_version, textSha256: row.notice_text_sha256 }
    : null;
}

const order = (occurredAt: Date | null, eventId: string | null) =>
  occurredAt && eventId ? { occurredAt, eventId } : null;

/** Rebuilds the fold's state from the subject row and its choice rows. */
export function stateFromRows(
  subject: ConsentSubjectRow | undefined,
  choices: readonly ConsentChoiceRow[],
): SubjectConsentState {
  return {
    subjectId: subject?.subject_id ?? choices[0]?.subject_id ?? null,
    jurisdiction: subject?.jurisdiction ?? null,
    jurisdictionAsOf: order(
      subject?.jurisdiction_occurred_at ?? null,
      subject?.jurisdiction_event_id ?? null,
    ),
    ageBand: subject?.age_band ?? null,
    ageBandAsOf: order(subject?.age_band_occurred_at ?? null, subject?.age_band_event_id ?? null),
    choices: Object.fromEntries(
      choices.map((row): [string, PurposeChoice] => [
        row.purpose,
        {
          purpose: row.purpose,
          action: row.action,
          eventId: row.event_id,
          occurredAt: row.occurred_at,
          recordedAt: row.recorded_at,
          expiresAt: row.expires_at,
          legalBasis: row.legal_basis,
          channel: row.channel,
          method: row.method,
          notice: noticeFromRow(row),
          jurisdiction: row.jurisdiction,
        },
      ]),
    ),
  };
}

/** The event as the domain sees it, from its history row. */
export function eventFromRow(row: ConsentEventRow): ConsentEvent {
  return {
    eventId: row.event_id,
    subjectId: row.subject_id,
    purpose: row.purpose,
    action: row.action,
    jurisdiction: row.jurisdiction,
    legalBasis: row.legal_basis,
    channel: row.channel,
    method: row.method,
    notice: noticeFromRow(row),
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    expiresAt: row.expires_at,
    actor: { type: row.actor_type, id: row.actor_id },
    evidence: row.evidence,
    ageBand: row.age_band,
    idempotencyKey: row.idempotency_key,
    previousEventHash: row.previous_event_hash,
    recordedBy: row.recorded_by,
  };
}
