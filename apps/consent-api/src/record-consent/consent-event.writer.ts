import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { decideRecording } from '@consent-ledger/consent-domain';
import type {
  ConsentEvent,
  RecordingAnswer,
  RecordingRequest,
  RecordingState,
} from '@consent-ledger/consent-domain';
import { hashConsentEvent } from '@consent-ledger/kafka';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '@consent-ledger/http';
import { GroupCommitQueue, WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type {
  StoredEventRecord,
  WritePathStore,
  WritePathTransaction,
} from '@consent-ledger/persistence';
import { admitEvents, grantExpiries } from './event-admission';
import type { AdmissionContext, EventAuthor } from './event-admission';
import { evidenceKeyFrom, VAULT_KEYS } from '@consent-ledger/vault';
import type { VaultKeys } from '@consent-ledger/vault';
import type { RecordableEvent } from './record-consent.request';
import { refusal } from './recording-refusal';
import { AcknowledgedEvents } from './acknowledged-events';
import {
  ConsentEventPublisher,
  KafkaNotAcknowledged,
  outcomeUnknown,
} from './consent-event.publisher';

/** What the API answers for each accepted event (a duplicate: its key was used before for it). */
export type AcceptedEvent = RecordingAnswer;

/** One HTTP request's events, waiting for the next group commit. */
interface GroupRequest {
  /** Each event as proposed (converted once, for validation and the decider alike). */
  readonly pending: readonly RecordingRequest[];
  readonly now: Date;
  /** Recorded in each event as `recordedBy`. */
  readonly recordedBy: string;
  /** Subjects whose unacknowledged events are to be sent again (the sweeper's request). */
  readonly resendSubjects?: readonly string[];
}

/** A new event as the log will hold it: the event its bytes hold, and the bytes. */
interface SealedEvent {
  readonly event: ConsentEvent;
  readonly value: Buffer;
  readonly fingerprint: string;
}

/** Serialises an event for the events topic: its bytes, and the event those bytes hold. */
type EventEncoder = (event: ConsentEvent) => { bytes: Buffer; written: ConsentEvent };

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
  private readonly expiryListeners: Array<(expiresAt: Date) => void> = [];

  private readonly queue = this.groupCommits();
  /**
   * The system's own writes (expiries, erasures) commit in groups of their own, beside the
   * callers' rather than in them: a thousand expiries at one instant do not hold up a person's
   * withdrawal. The chain heads' row locks order two groups' writes of one subject, as they do
   * those of two API instances.
   */
  private readonly systemQueue = this.groupCommits();

  private readonly admission: AdmissionContext;

  constructor(
    @Inject(WRITE_PATH_STORE) private readonly store: WritePathStore,
    private readonly publisher: ConsentEventPublisher,
    @Inject(CONSENT_POLICY) consentPolicy: LoadedConsentPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(VAULT_KEYS) vaultKeys: VaultKeys,
  ) {
    this.admission = {
      consentPolicy,
      settings: config.consentPolicy,
      evidenceKey: evidenceKeyFrom(vaultKeys.blindIndexKey),
    };
    this.acknowledgements = new AcknowledgedEvents(store, (error) =>
      this.logger.warn({
        msg: 'acknowledged events not yet forgotten; the sweeper may send them again (harmless)',
        error: error.message,
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.acknowledgements.stop();
  }

  async accept(
    requests: readonly RecordableEvent[],
    fieldPrefix: (index: number) => string,
    author: EventAuthor,
  ): Promise<AcceptedEvent[]> {
    const now = new Date();
    const pending = admitEvents(requests, fieldPrefix, author, now, this.admission);
    const recordedBy = author.kind === 'key' ? author.caller.keyId : `system:${author.component}`;
    const queue = author.kind === 'system' ? this.systemQueue : this.queue;
    const accepted = await queue.submit({ pending, now, recordedBy });
    for (const expiresAt of grantExpiries(pending))
      for (const listener of this.expiryListeners) listener(expiresAt);
    return accepted;
  }

  /** Hears the expiry of every grant accepted here (the expiry schedule, to wake then). */
  onGrantExpiry(listener: (expiresAt: Date) => void): void {
    this.expiryListeners.push(listener);
  }

  private groupCommits(): GroupCommitQueue<GroupRequest, AcceptedEvent[]> {
    return new GroupCommitQueue<GroupRequest, AcceptedEvent[]>(
      (requests) => this.writeGroup(requests),
      MAX_GROUP_EVENTS,
      (request) => request.pending.length,
    );
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
    const { outcomes, fresh, resend } = await this.store.transaction((transaction) =>
      this.recordGroup(transaction, requests),
    );
    if (fresh.length === 0 && resend.length === 0) return outcomes;
    const records: StoredEventRecord[] = [
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
      return this.unsettled(requests, outcomes, records, resend, error);
    }
    this.acknowledgements.add(records.map(({ eventId }) => eventId));
    return outcomes;
  }

  /**
   * The group's transaction: locks the subjects' chain heads, finds the keys used before and the
   * events Kafka has not acknowledged, lets the decider record each request against that state
   * (in order, so a later request sees the heads and keys of the earlier ones), and writes what
   * it recorded.
   */
  private async recordGroup(transaction: WritePathTransaction, requests: readonly GroupRequest[]) {
    const all = requests.flatMap((request) => request.pending);
    const subjects = [
      ...new Set([
        ...all.map(({ proposed }) => proposed.subjectId),
        ...requests.flatMap((request) => request.resendSubjects ?? []),
      ]),
    ].sort();
    const { heads, unacknowledgedIn, erased } = await transaction.lockChainHeads(subjects);
    const known = await transaction.knownKeys(all.map(({ proposed }) => proposed));
    // Those whose acknowledgement this instance has but whose rows remain are not sent again.
    const resend = (
      unacknowledgedIn.length > 0 ? await transaction.unacknowledged(unacknowledgedIn) : []
    ).filter(({ eventId }) => !this.acknowledgements.has(eventId));
    const encode = await this.publisher.encoder();
    // The group's state, moved on by each request the decider records (a refused one leaves it).
    const state: RecordingState = { heads, known, erased };
    const fresh: SealedEvent[] = [];
    const outcomes = requests.map((request): AcceptedEvent[] | AppError => {
      const decision = this.decide(request, state, encode);
      if (decision.kind === 'refused') return refusal(decision.violation);
      decision.changes.heads.forEach((hash, subject) => heads.set(subject, hash));
      decision.changes.known.forEach((used, key) => known.set(key, used));
      decision.changes.erased.forEach((subject) => erased.add(subject));
      fresh.push(...decision.events);
      return [...decision.answers];
    });
    if (fresh.length > 0) await this.recordWritten(transaction, fresh, heads, erased);
    return { outcomes, fresh, resend };
  }

  /** One request of the group, recorded by the domain's decider against the state so far. */
  private decide(request: GroupRequest, state: RecordingState, encode: EventEncoder) {
    return decideRecording(
      {
        requests: request.pending,
        now: request.now,
        recordedBy: request.recordedBy,
      },
      state,
      {
        newEventId: uuidv7,
        hash: hashConsentEvent,
        seal: (event, { fingerprint }): SealedEvent => {
          const { bytes, written } = encode(event);
          return { event: written, value: bytes, fingerprint };
        },
      },
    );
  }

  private async recordWritten(
    transaction: WritePathTransaction,
    fresh: readonly SealedEvent[],
    heads: ReadonlyMap<string, string | null>,
    erased: ReadonlySet<string>,
  ): Promise<void> {
    await transaction.recordWritten(
      fresh.map(({ event, fingerprint, value }) => ({
        subjectId: event.subjectId,
        eventId: event.eventId,
        idempotencyKey: event.idempotencyKey,
        fingerprint,
        value,
      })),
      // Each subject's head: its last new event, and that event's hash.
      new Map(
        fresh.map(({ event }) => [
          event.subjectId,
          {
            eventId: event.eventId,
            hash: heads.get(event.subjectId) ?? null,
            erased: erased.has(event.subjectId),
          },
        ]),
      ),
    );
  }

  /** Kafka did not acknowledge: 503 KAFKA.OUTCOME_UNKNOWN for each request with an event unsettled. */
  private unsettled(
    requests: readonly GroupRequest[],
    outcomes: ReadonlyArray<AcceptedEvent[] | AppError>,
    records: readonly StoredEventRecord[],
    resend: readonly StoredEventRecord[],
    error: KafkaNotAcknowledged,
  ): Array<AcceptedEvent[] | Error> {
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

  /**
   * Sends again the events Kafka has not acknowledged that are older than the acknowledgement
   * timeout (the writes that sent them have answered), for up to `limit` subjects. Resolves
   * with how many subjects were settled; rejects with the 503 when Kafka still does not answer.
   */
  async resendUnacknowledged(limit = 500): Promise<number> {
    const subjects = await this.store.subjectsLongUnacknowledged(
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
}
