import { Inject, Injectable } from '@nestjs/common';
import { CONSENT_POLICY, type LoadedConsentPolicy } from '@consent-ledger/config';
import { validateProposedEvent, type ConsentEvent } from '@consent-ledger/consent-domain';
import { hashConsentEvent, sha256Hex } from '@consent-ledger/kafka';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppError, consentRulesBroken, type FieldProblem } from '../http/app-error';
import { toProposedEvent, type ConsentEventRequest } from './consent-event.request';
import { ConsentEventPublisher } from './consent-event.publisher';

/** What the API answers for each accepted event. */
export interface AcceptedEvent {
  readonly eventId: string;
  readonly subjectId: string;
  readonly idempotencyKey: string;
  /** True when the idempotency key was seen before: the original event is returned, nothing new written. */
  readonly duplicate: boolean;
}

interface PendingEvent {
  readonly request: ConsentEventRequest;
  readonly fingerprint: string;
}

/**
 * Accepts consent events: validates them against the taxonomy and the regimes, assigns ids and
 * the subject's hash-chain link, and makes them durable in Kafka before answering. One
 * transaction per request holds each subject's chain head (row lock, so concurrent writers for
 * the same subject serialise) and records the idempotency keys; it commits only after Kafka
 * acknowledged, so a failed write leaves no trace and may be retried with the same key.
 */
@Injectable()
export class ConsentEventWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: ConsentEventPublisher,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {}

  async accept(
    requests: readonly ConsentEventRequest[],
    fieldPrefix: (index: number) => string,
  ): Promise<AcceptedEvent[]> {
    const now = new Date();
    this.assertValid(requests, fieldPrefix, now);
    const pending = requests.map((request) => ({
      request,
      fingerprint: sha256Hex(JSON.stringify(request)),
    }));
    return this.dataSource.transaction('READ COMMITTED', (manager) =>
      this.write(manager, pending, now),
    );
  }

  private assertValid(
    requests: readonly ConsentEventRequest[],
    fieldPrefix: (index: number) => string,
    now: Date,
  ): void {
    const problems: FieldProblem[] = [];
    const keys = new Set<string>();
    requests.forEach((request, index) => {
      for (const problem of validateProposedEvent(toProposedEvent(request), {
        ...this.consentPolicy,
        now,
      })) {
        problems.push({ ...problem, field: `${fieldPrefix(index)}${problem.field}` });
      }
      const key = `${request.subjectId}\u0000${request.idempotencyKey}`;
      if (keys.has(key)) {
        problems.push({
          field: `${fieldPrefix(index)}idempotencyKey`,
          code: 'CONSENT.DUPLICATE_KEY_IN_BATCH',
          message: 'the same subject and idempotency key appear twice in this batch',
        });
      }
      keys.add(key);
    });
    if (problems.length > 0) throw consentRulesBroken(problems);
  }

  private async write(
    manager: EntityManager,
    pending: readonly PendingEvent[],
    now: Date,
  ): Promise<AcceptedEvent[]> {
    const subjects = [...new Set(pending.map(({ request }) => request.subjectId))].sort();
    const heads = await this.lockChainHeads(manager, subjects);
    const known = await this.knownKeys(manager, pending);

    const accepted: AcceptedEvent[] = [];
    const fresh: Array<{ event: ConsentEvent; fingerprint: string }> = [];
    for (const { request, fingerprint } of pending) {
      const previous = known.get(`${request.subjectId}\u0000${request.idempotencyKey}`);
      if (previous) {
        if (previous.fingerprint !== fingerprint) {
          throw new AppError(
            409,
            'CONSENT.IDEMPOTENCY_KEY_REUSED',
            'Idempotency key reused',
            `Key '${request.idempotencyKey}' was already used for a different event of subject '${request.subjectId}'.`,
            [
              {
                field: 'idempotencyKey',
                code: 'CONSENT.IDEMPOTENCY_KEY_REUSED',
                message: 'already used with different content',
              },
            ],
          );
        }
        accepted.push({
          eventId: previous.eventId,
          subjectId: request.subjectId,
          idempotencyKey: request.idempotencyKey,
          duplicate: true,
        });
        continue;
      }
      const event: ConsentEvent = {
        ...toProposedEvent(request),
        eventId: uuidv7(),
        recordedAt: now,
        previousEventHash: heads.get(request.subjectId) ?? null,
      };
      heads.set(request.subjectId, hashConsentEvent(event));
      fresh.push({ event, fingerprint });
      accepted.push({
        eventId: event.eventId,
        subjectId: event.subjectId,
        idempotencyKey: event.idempotencyKey,
        duplicate: false,
      });
    }
    if (fresh.length === 0) return accepted;

    await this.publisher.publish(fresh.map(({ event }) => event));
    await this.recordKeysAndHeads(manager, fresh, heads);
    return accepted;
  }

  /**
   * Locks each subject's chain head (creating it on first use) in a fixed order: no deadlocks.
   * Two statements on purpose: the SELECT must take a fresh snapshot after the INSERT, which may
   * have waited for a concurrent writer of the same new subject, so that it sees that writer's head.
   */
  private async lockChainHeads(
    manager: EntityManager,
    subjects: readonly string[],
  ): Promise<Map<string, string | null>> {
    await manager.query(
      `INSERT INTO consent_write_head (subject_id) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING`,
      [subjects],
    );
    const rows: Array<{ subject_id: string; last_event_hash: string | null }> = await manager.query(
      `SELECT subject_id, last_event_hash FROM consent_write_head WHERE subject_id = ANY($1) ORDER BY subject_id FOR UPDATE`,
      [subjects],
    );
    return new Map(rows.map((row) => [row.subject_id, row.last_event_hash]));
  }

  private async knownKeys(
    manager: EntityManager,
    pending: readonly PendingEvent[],
  ): Promise<Map<string, { eventId: string; fingerprint: string }>> {
    const rows: Array<{
      subject_id: string;
      idempotency_key: string;
      event_id: string;
      request_sha256: string;
    }> = await manager.query(
      `SELECT subject_id, idempotency_key, event_id, request_sha256 FROM idempotency_record
        WHERE (subject_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [
        pending.map(({ request }) => request.subjectId),
        pending.map(({ request }) => request.idempotencyKey),
      ],
    );
    return new Map(
      rows.map((row) => [
        `${row.subject_id}\u0000${row.idempotency_key}`,
        { eventId: row.event_id, fingerprint: row.request_sha256 },
      ]),
    );
  }

  private async recordKeysAndHeads(
    manager: EntityManager,
    fresh: ReadonlyArray<{ event: ConsentEvent; fingerprint: string }>,
    heads: ReadonlyMap<string, string | null>,
  ): Promise<void> {
    const lastEventIds = new Map(fresh.map(({ event }) => [event.subjectId, event.eventId]));
    const subjects = [...lastEventIds.keys()];
    await manager.query(
      `WITH keys AS (
         INSERT INTO idempotency_record (subject_id, idempotency_key, event_id, request_sha256)
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[])
       )
       UPDATE consent_write_head h SET last_event_id = u.event_id, last_event_hash = u.hash, updated_at = now()
         FROM unnest($5::text[], $6::uuid[], $7::text[]) AS u(subject_id, event_id, hash) WHERE h.subject_id = u.subject_id`,
      [
        fresh.map(({ event }) => event.subjectId),
        fresh.map(({ event }) => event.idempotencyKey),
        fresh.map(({ event }) => event.eventId),
        fresh.map(({ fingerprint }) => fingerprint),
        subjects,
        subjects.map((subject) => lastEventIds.get(subject)),
        subjects.map((subject) => heads.get(subject)),
      ],
    );
  }
}
