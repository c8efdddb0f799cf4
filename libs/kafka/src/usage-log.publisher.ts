import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import type { Kafka, Message, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import type { AvroSerde } from './avro-serde';
import { brokerRefusalOf } from './broker-refusal';
import { sha256Hex } from './consent-event.codec';
import { publishUnwritable } from './dead-letter.publisher';
import { ACKS_ALL, createDurableProducer } from './durable-producer';
import { NonRetriableError } from './processing-errors';
import { valueSubject } from './schema-catalog';

/**
 * Records per produce request: about 0.5 MB, well under the broker's default message.max.bytes
 * (1 MB) for the record batch of any one partition.
 */
const MAX_RECORDS_PER_SEND = 2_000;

/**
 * Records that are written at once rather than after the flush interval: under a burst of
 * answers, each write stays a short piece of work (encoding and producing is about 20 µs a record)
 * instead of one long pause of the event loop every interval.
 */
const WRITE_AT_RECORDS = 64;

/**
 * Largest subject id (in UTF-8 bytes) written as a record key. Far above any id the API accepts
 * (128 characters); a larger key is refused before it reaches kafkajs, which spends CPU growing
 * with the square of a string key's length encoding it (a 400 KB key held the event loop for 45 s
 * here), and then the broker refuses it anyway.
 */
const MAX_KEY_BYTES = 1_024;

/**
 * Largest record (key and value) sent: under the broker's default message.max.bytes (1 MiB) with
 * room for the batch's framing. A larger one is set aside before it is sent: a produce request
 * the broker refuses for one partition leaves kafkajs's idempotent sequence numbers wrong for the
 * partitions it accepted (every later send to them fails OUT_OF_ORDER_SEQUENCE_NUMBER).
 */
const MAX_RECORD_BYTES = 900 * 1_024;

export type UsageEntry = Omit<ConsentUsageRecord, 'usageId' | 'decidedAt'> & {
  readonly decidedAt?: Date;
};

/** A usage record and the message it was encoded into. */
interface EncodedUsage {
  readonly record: ConsentUsageRecord;
  readonly message: Message;
}

/** Thrown when the usage log cannot keep up: the caller answers 503 rather than go unrecorded. */
export class UsageLogBackloggedError extends Error {
  readonly code = 'USAGE_LOG.BACKLOGGED';
}

export interface UsageLogOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly topic: string;
  /** Records waiting for Kafka beyond which new uses are refused. */
  readonly maxPending: number;
  /** How long records gather before one produce request. */
  readonly flushIntervalMs: number;
  readonly onError: (error: Error, pending: number) => void;
  /**
   * A record that can never be written (it does not fit the usage schema, or the broker refuses
   * it, e.g. as too large): it is dead-lettered with the reason and left out, never retried.
   */
  readonly onRefused: (record: ConsentUsageRecord, error: NonRetriableError) => void;
  /** Where refused records are described (the record itself may be what the broker refused). */
  readonly deadLetterTopic: string;
}

/**
 * The usage log's writer: decisions are answered from memory in a millisecond, so their records
 * are gathered and written together (durable producer, acks from all in-sync replicas) a few
 * milliseconds later instead of holding each answer for a round trip to Kafka. A failed write is
 * retried, never dropped; when the backlog passes `maxPending` new uses are refused
 * ({@link UsageLogBackloggedError}) so that nothing is allowed without being recorded.
 */
export class UsageLogPublisher {
  private producer: Producer;
  private pending: ConsentUsageRecord[] = [];
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private written = 0;

  constructor(private readonly options: UsageLogOptions) {
    this.producer = createDurableProducer(options.kafka);
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  /** Records waiting to be written. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Records written and acknowledged since start. */
  get writtenCount(): number {
    return this.written;
  }

  /** Throws {@link UsageLogBackloggedError} when the log is too far behind to take more. */
  assertAccepting(): void {
    if (this.pending.length >= this.options.maxPending) {
      throw new UsageLogBackloggedError(
        `the usage log has ${this.pending.length} records waiting for Kafka; uses are refused until they are written`,
      );
    }
  }

  /** Queues records; they are durable within a flush interval unless Kafka is unavailable. */
  record(entries: readonly UsageEntry[]): void {
    const now = new Date();
    // Field by field rather than `{ ...entry, … }`: a spread per answer, thousands a second, was
    // a measurable share of the decision API's CPU.
    for (const entry of entries) {
      this.pending.push({
        usageId: uuidv7(),
        kind: entry.kind,
        subjectId: entry.subjectId,
        purpose: entry.purpose,
        askedBy: entry.askedBy,
        campaignId: entry.campaignId,
        jobId: entry.jobId,
        manifestId: entry.manifestId,
        allowed: entry.allowed,
        reason: entry.reason,
        decidingEventId: entry.decidingEventId,
        policyVersion: entry.policyVersion,
        regime: entry.regime,
        jurisdiction: entry.jurisdiction,
        logPosition: entry.logPosition,
        decidedAt: entry.decidedAt ?? now,
      });
    }
    if (this.pending.length >= WRITE_AT_RECORDS && !this.stopped) void this.writeBatch();
    else this.schedule();
  }

  /**
   * Writes everything queued; resolves once Kafka acknowledged it, or with the number of records
   * still unwritten when the deadline passes first.
   */
  async flush(deadlineMs = 30_000): Promise<number> {
    const until = Date.now() + deadlineMs;
    while ((this.pending.length > 0 || this.inFlight) && Date.now() < until) {
      if (this.inFlight) await this.inFlight;
      else await this.writeBatch();
    }
    return this.pending.length;
  }

  /** Stops after writing what is queued (bounded wait); returns what could not be written. */
  async stop(deadlineMs = 10_000): Promise<number> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const unwritten = await this.flush(deadlineMs);
    await this.producer.disconnect();
    return unwritten;
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, this.options.flushIntervalMs);
  }

  private writeBatch(): Promise<void> {
    if (this.inFlight || this.pending.length === 0) return this.inFlight ?? Promise.resolve();
    const batch = this.pending.splice(0, MAX_RECORDS_PER_SEND);
    const subject = valueSubject(this.options.topic);
    this.inFlight = (async () => {
      try {
        const messages = await this.encode(subject, batch);
        this.written += await this.send(messages);
      } catch (error) {
        // Kafka or the registry failed: put them back in front, retried in order.
        this.pending = [...batch, ...this.pending];
        this.options.onError(error as Error, this.pending.length);
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        this.inFlight = undefined;
        if (this.pending.length >= WRITE_AT_RECORDS && !this.stopped) void this.writeBatch();
        else if (this.pending.length > 0) this.schedule();
      }
    })();
    return this.inFlight;
  }

  /**
   * The batch as messages. A record that can never be encoded (it does not fit the schema) is
   * reported with the reason and left out, so that it does not hold back the records behind it.
   */
  private async encode(
    subject: string,
    records: readonly ConsentUsageRecord[],
  ): Promise<EncodedUsage[]> {
    const batch: ConsentUsageRecord[] = [];
    for (const record of records) {
      if (Buffer.byteLength(record.subjectId) <= MAX_KEY_BYTES) batch.push(record);
      else
        await this.refuse(
          record,
          new NonRetriableError(
            'RECORD.TOO_LARGE',
            `the subject id (${Buffer.byteLength(record.subjectId)} bytes) is over ${MAX_KEY_BYTES} bytes, too large for a record key`,
          ),
        );
    }
    const message = (record: ConsentUsageRecord, value: Buffer): EncodedUsage => ({
      record,
      message: { key: record.subjectId, value },
    });
    let encoded: EncodedUsage[] | undefined;
    try {
      const values = await this.options.serde.encodeAll(subject, batch);
      encoded = batch.map((record, index) => message(record, values[index]!));
    } catch (error) {
      if (!(error instanceof NonRetriableError)) throw error;
    }
    if (encoded) return this.withinRecordSize(encoded);
    const messages: EncodedUsage[] = [];
    for (const record of batch) {
      try {
        const [value] = await this.options.serde.encodeAll(subject, [record]);
        messages.push(...(await this.withinRecordSize([message(record, value!)])));
      } catch (error) {
        if (!(error instanceof NonRetriableError)) throw error;
        await this.refuse(record, error);
      }
    }
    return messages;
  }

  /** The messages small enough to send; each larger one is dead-lettered as too large. */
  private async withinRecordSize(messages: readonly EncodedUsage[]): Promise<EncodedUsage[]> {
    const fitting: EncodedUsage[] = [];
    for (const encoded of messages) {
      const bytes =
        (encoded.message.value as Buffer).length + Buffer.byteLength(encoded.record.subjectId);
      if (bytes <= MAX_RECORD_BYTES) fitting.push(encoded);
      else
        await this.refuse(
          encoded.record,
          new NonRetriableError(
            'RECORD.TOO_LARGE',
            `the record (${bytes} bytes) is over ${MAX_RECORD_BYTES} bytes, too large for the broker`,
          ),
        );
    }
    return fitting;
  }

  /**
   * A new producer (a new producer id, fresh sequence numbers) after the broker refused part of a
   * request, whose sequence numbers kafkajs no longer tracks correctly.
   */
  private async renewProducer(): Promise<void> {
    const previous = this.producer;
    this.producer = createDurableProducer(this.options.kafka);
    await previous.disconnect().catch(() => undefined);
    await this.producer.connect();
  }

  /**
   * Sends the messages; returns how many the broker took. When the broker refuses the batch for
   * what its records are (too large), each is sent alone and the ones refused alone are
   * dead-lettered, so one such record never holds back the others, nor retries forever until
   * every decision is refused for a backlog.
   */
  private async send(messages: readonly EncodedUsage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const sendAll = (batch: readonly EncodedUsage[]) =>
      this.producer.send({
        topic: this.options.topic,
        acks: ACKS_ALL,
        messages: batch.map(({ message }) => message),
      });
    try {
      await sendAll(messages);
      return messages.length;
    } catch (error) {
      if (brokerRefusalOf(error) === undefined) throw error;
      await this.renewProducer();
    }
    // One by one, each on one partition; a record the broker accepted in the refused request is
    // sent again (the usage log is applied by usage id, so it counts once).
    let sent = 0;
    for (const encoded of messages) {
      try {
        await sendAll([encoded]);
        sent += 1;
      } catch (error) {
        const refusal = brokerRefusalOf(error);
        if (refusal === undefined) throw error;
        await this.renewProducer();
        await this.refuse(
          encoded.record,
          new NonRetriableError(
            'RECORD.REFUSED_BY_BROKER',
            `the broker refused the record: ${refusal}`,
          ),
        );
      }
    }
    return sent;
  }

  /**
   * Reports a record that can never be written and describes it on the dead-letter topic: its
   * id, kind, purpose, caller and the SHA-256 of its subject id (the record itself, and a subject
   * id of megabytes, may be exactly what the broker refused).
   */
  private async refuse(record: ConsentUsageRecord, error: NonRetriableError): Promise<void> {
    this.options.onRefused(record, error);
    await publishUnwritable(
      this.producer,
      this.options.deadLetterTopic,
      { sourceTopic: this.options.topic, value: describeUsage(record) },
      error,
    );
  }
}

/** A usage record as its dead letter describes it: the subject id hashed, long texts cut. */
function describeUsage(record: ConsentUsageRecord): Record<string, unknown> {
  return {
    usageId: record.usageId,
    kind: record.kind,
    purpose: record.purpose.slice(0, 200),
    askedBy: record.askedBy.slice(0, 200),
    subjectIdSha256: sha256Hex(record.subjectId),
    subjectIdLength: record.subjectId.length,
    decidedAt: record.decidedAt.toISOString(),
  };
}
