import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  APP_CONFIG,
  CONSENT_POLICY,
  type AppConfig,
  type LoadedConsentPolicy,
} from '@consent-ledger/config';
import {
  validateProposedEvent,
  type ConsentEvent,
  type EventWriterLimits,
} from '@consent-ledger/consent-domain';
import { hashConsentEvent, sha256Hex } from '@consent-ledger/kafka';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppError, consentRulesBroken, type Caller, type FieldProblem } from '@consent-ledger/http';
import { GroupCommitQueue } from '@consent-ledger/persistence';
import { toProposedEvent, type ConsentEventRequest } from './consent-event.request';
import { AcknowledgedEvents } from './acknowledged-events';
import { keyOf, WritePathRepository, type KnownKey } from './write-path.repository';
import {
  ConsentEventPublisher,
  KafkaNotAcknowledged,
  outcomeUnknown,
  type EventRecord,
} from './consent-event.publisher';

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
 * Who records the events: a caller's API key (bound to its channels, within the backdating
 * window), or a component of the system itself (no window: an expiry recorded late is on time).
 */
export type EventAuthor =
  | { readonly kind: 'key'; readonly caller: Caller }
  | { readonly kind: 'system'; readonly component: string };

/** One HTTP request's events, waiting for the next group commit. */
interface GroupRequest {
  readonly pending: readonly PendingEvent[];
  readonly now: Date;
  /** Recorded in each event as `recordedBy`. */
  readonly recordedBy: string;
  /** Subjects whose unacknowledged events are to be sent again (the sweeper's request). */
  readonly resendSubjects?: readonly string[];
}

interface FreshEvent {
  /** The event as its serialised bytes hold it. */
  readonly event: ConsentEvent;
  readonly fingerprint: string;
  /** Its wire-format value, the bytes the chain link was taken from. */
  readonly value: Buffer;
}

const idempotencyConflict = (request: ConsentEventRequest) =>
  new AppError(
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

/** Serialises an event for the events topic: its bytes, and the event those bytes hold. */
type EventEncoder = (event: ConsentEvent) => { bytes: Buffer; written: ConsentEvent };

/** An event the schema cannot hold is refused alone; validation should have caught it first. */
const unencodable = (request: ConsentEventRequest, error: Error) =>
  new AppError(
    422,
    'CONSENT.NOT_SERIALISABLE',
    'Event cannot be serialised',
    `The event for subject '${request.subjectId}' with key '${request.idempotencyKey}' does not fit the event schema: ${error.message}`,
  );

/** Most events one group commit carries. */
const MAX_GROUP_EVENTS = 2_000;

/**
 * Accepts consent events: validates them against the taxonomy and the regimes, assigns ids and
 * the subject's hash-chain link, and makes them durable in Kafka before answering 202. Concurrent
 * requests are written together (group commit): one transaction locks the subjects' chain heads
 * (row locks, so writers in other API instances serialise per subject) and records the
 * idempotency keys, the new heads and the events' exact bytes; Kafka gets them after that
 * commit, and the bytes are forgotten once it acknowledged. A retry with the same key never
 * writes a second event: it finds its event, and sends the very same record again if Kafka has
 * not acknowledged it.
 */
@Injectable()
export class ConsentEventWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(ConsentEventWriter.name);
  private readonly acknowledgements: AcknowledgedEvents;
  private readonly writes = new WritePathRepository();

  private readonly queue = new GroupCommitQueue<GroupRequest, AcceptedEvent[]>(
    (requests) => this.writeGroup(requests),
    MAX_GROUP_EVENTS,
    (request) => request.pending.length,
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: ConsentEventPublisher,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.acknowledgements = new AcknowledgedEvents(dataSource, (error) =>
      this.logger.warn({
        msg: 'acknowledged events not yet forgotten; the sweeper may send them again (harmless)',
        error: error.message,
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.acknowledgements.drain();
  }

  async accept(
    requests: readonly ConsentEventRequest[],
    fieldPrefix: (index: number) => string,
    author: EventAuthor,
  ): Promise<AcceptedEvent[]> {
    const now = new Date();
    this.assertValid(requests, fieldPrefix, now, this.limitsOf(author));
    const pending = requests.map((request) => ({
      request,
      fingerprint: sha256Hex(JSON.stringify(request)),
    }));
    const recordedBy = author.kind === 'key' ? author.caller.keyId : `system:${author.component}`;
    return this.queue.submit({ pending, now, recordedBy });
  }

  private limitsOf(author: EventAuthor): EventWriterLimits {
    if (author.kind === 'system') return {};
    const { channels } = author.caller;
    return {
      ...(channels ? { allowedChannels: channels } : {}),
      backdating: this.config.consentPolicy.backdating,
    };
  }

  private assertValid(
    requests: readonly ConsentEventRequest[],
    fieldPrefix: (index: number) => string,
    now: Date,
    writer: EventWriterLimits,
  ): void {
    const problems: FieldProblem[] = [];
    const keys = new Set<string>();
    const context = {
      taxonomy: this.consentPolicy.taxonomy,
      policy: this.consentPolicy.policy,
      now,
      writer,
    };
    requests.forEach((request, index) => {
      for (const problem of validateProposedEvent(toProposedEvent(request), context)) {
        problems.push({ ...problem, field: `${fieldPrefix(index)}${problem.field}` });
      }
      const key = keyOf(request.subjectId, request.idempotencyKey);
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

  /**
   * Writes a group of requests: one transaction records their keys, the subjects' new heads and
   * the events' exact bytes (`unacknowledged_event`) and commits; then one Kafka produce sends
   * them, after the subjects' events Kafka has not acknowledged yet (the very same records, so
   * that every link the new events carry is in the log before them). So an event is never in the
   * log without the database knowing it: a database that fails before the commit leaves nothing
   * sent, and one that fails after leaves the record to send again. A request whose key was used
   * with different content fails alone (409). When Kafka does not acknowledge, each request that
   * wrote, or retried an event still unacknowledged, gets 503 KAFKA.OUTCOME_UNKNOWN; the record
   * is sent again by a retry with the same key, by the subject's next write, or by the sweeper.
   */
  private async writeGroup(
    requests: readonly GroupRequest[],
  ): Promise<Array<AcceptedEvent[] | Error>> {
    const { outcomes, fresh, resend } = await this.dataSource.transaction(async (manager) => {
      const all = requests.flatMap((request) => request.pending);
      const subjects = [
        ...new Set([
          ...all.map(({ request }) => request.subjectId),
          ...requests.flatMap((request) => request.resendSubjects ?? []),
        ]),
      ].sort();
      const { heads, unacknowledgedIn } = await this.writes.lockChainHeads(manager, subjects);
      const known = await this.writes.knownKeys(
        manager,
        all.map(({ request }) => request),
      );
      // Those whose acknowledgement this instance has but whose rows remain are not sent again.
      const unacknowledged = (
        unacknowledgedIn.length > 0
          ? await this.writes.unacknowledged(manager, unacknowledgedIn)
          : []
      ).filter(({ eventId }) => !this.acknowledgements.has(eventId));
      const encode = await this.publisher.encoder();
      const written: FreshEvent[] = [];
      const answers = requests.map((request) =>
        this.assign(request, heads, known, written, encode),
      );
      if (written.length > 0)
        await this.writes.recordWritten(
          manager,
          written.map(({ event, fingerprint, value }) => ({
            subjectId: event.subjectId,
            eventId: event.eventId,
            idempotencyKey: event.idempotencyKey,
            fingerprint,
            value,
          })),
          new Map(
            written.map(({ event }) => [
              event.subjectId,
              { eventId: event.eventId, hash: heads.get(event.subjectId) ?? null },
            ]),
          ),
        );
      return { outcomes: answers, fresh: written, resend: unacknowledged };
    });
    if (fresh.length === 0 && resend.length === 0) return outcomes;
    const records: EventRecord[] = [
      ...resend,
      ...fresh.map(({ event, value }) => ({
        subjectId: event.subjectId,
        eventId: event.eventId,
        value,
      })),
    ];
    try {
      await this.publisher.publish(records);
    } catch (error) {
      if (!(error instanceof KafkaNotAcknowledged)) throw error;
      const unsettled = new Set(records.map(({ eventId }) => eventId));
      return outcomes.map((outcome, index) => {
        if (outcome instanceof Error) return outcome;
        if (requests[index]!.resendSubjects)
          return outcomeUnknown(
            error.message,
            resend.map(({ eventId }) => eventId),
          );
        const eventIds = outcome.map(({ eventId }) => eventId).filter((id) => unsettled.has(id));
        return eventIds.length > 0 ? outcomeUnknown(error.message, eventIds) : outcome;
      });
    }
    this.acknowledgements.add(records.map(({ eventId }) => eventId));
    return outcomes;
  }

  /**
   * Sends again the events Kafka has not acknowledged that are older than the acknowledgement
   * timeout (the writes that sent them have answered), for up to `limit` subjects. Resolves
   * with how many subjects were settled; rejects with the 503 when Kafka still does not answer.
   */
  async resendUnacknowledged(limit = 500): Promise<number> {
    const subjects = await this.writes.subjectsLongUnacknowledged(
      this.dataSource.manager,
      this.config.kafka.ackTimeoutMs,
      limit,
    );
    if (subjects.length === 0) return 0;
    await this.queue.submit({
      pending: [],
      now: new Date(),
      recordedBy: 'system:resend',
      resendSubjects: subjects,
    });
    return subjects.length;
  }

  /**
   * Gives one request's events their ids and chain links, or the conflict that refuses it. Keys
   * assigned earlier in the group count as known, so a repeat within the group is a duplicate.
   * Each event is serialised here, and the next event's link is the hash of what its bytes hold
   * (Avro may normalise a value), so that every reader of the log computes the same link.
   */
  private assign(
    request: GroupRequest,
    heads: Map<string, string | null>,
    known: Map<string, KnownKey>,
    fresh: FreshEvent[],
    encode: EventEncoder,
  ): AcceptedEvent[] | AppError {
    const tentativeHeads = new Map<string, string | null>();
    const tentativeKeys = new Map<string, KnownKey>();
    const events: FreshEvent[] = [];
    const accepted: AcceptedEvent[] = [];
    for (const { request: body, fingerprint } of request.pending) {
      const key = keyOf(body.subjectId, body.idempotencyKey);
      const previous = tentativeKeys.get(key) ?? known.get(key);
      if (previous) {
        if (previous.fingerprint !== fingerprint) return idempotencyConflict(body);
        accepted.push({
          eventId: previous.eventId,
          subjectId: body.subjectId,
          idempotencyKey: body.idempotencyKey,
          duplicate: true,
        });
        continue;
      }
      const previousEventHash = tentativeHeads.has(body.subjectId)
        ? tentativeHeads.get(body.subjectId)!
        : (heads.get(body.subjectId) ?? null);
      let encoded: { bytes: Buffer; written: ConsentEvent };
      try {
        encoded = encode({
          ...toProposedEvent(body),
          eventId: uuidv7(),
          recordedAt: request.now,
          previousEventHash,
          recordedBy: request.recordedBy,
        });
      } catch (error) {
        return unencodable(body, error as Error);
      }
      const event = encoded.written;
      tentativeHeads.set(body.subjectId, hashConsentEvent(event));
      tentativeKeys.set(key, { eventId: event.eventId, fingerprint });
      events.push({ event, fingerprint, value: encoded.bytes });
      accepted.push({
        eventId: event.eventId,
        subjectId: event.subjectId,
        idempotencyKey: event.idempotencyKey,
        duplicate: false,
      });
    }
    tentativeHeads.forEach((hash, subject) => heads.set(subject, hash));
    tentativeKeys.forEach((value, key) => known.set(key, value));
    fresh.push(...events);
    return accepted;
  }
}
