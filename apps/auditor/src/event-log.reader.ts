import type { KafkaSettings } from '@consent-ledger/config';
import type { FoldableEvent, LogLocation } from '@consent-ledger/consent-domain';
// Imported file by file: a replay's worker threads start faster without the rest of the library.
import type { AvroSerde } from '@consent-ledger/kafka/avro-serde';
import { createKafkaClient } from '@consent-ledger/kafka/kafka-client.factory';
import { canScanLog, scanLog } from '@consent-ledger/kafka/log-scan/log-scanner';
import type { RecordBatchCursor } from '@consent-ledger/kafka/log-scan/record-batch-cursor';
import { NonRetriableError } from '@consent-ledger/kafka/processing-errors';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { LogReaderUnavailableError, UnknownTopicError, type LogReaderKind } from './replay-options';

/** A record of the events topic that is not a readable consent event. */
export interface UnreadableRecord extends LogLocation {
  readonly code: string;
  readonly reason: string;
}

/** A partition's first offset and the offset after its last record. */
export interface PartitionRange {
  readonly low: string;
  readonly high: string;
}

/** Each partition's range now: what a read of the whole log covers. */
export async function partitionRanges(
  kafka: Kafka,
  topic: string,
): Promise<Record<number, PartitionRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new UnknownTopicError(topic);
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
  } finally {
    await admin.disconnect();
  }
}

export interface LogReadProgress {
  readonly read: number;
  readonly total: number;
}

/** An event as decoded with the reader schema, and where it was read. */
export interface LogRecord<E extends FoldableEvent> extends LogLocation {
  readonly event: E;
}

/**
 * How the events read are handed on: a partition's fetch at a time with their positions
 * (`onEvents`), or one at a time without them (`onEvent`: a replay's fold needs no positions,
 * and a million of them cost a wrapper and an offset string each).
 */
export type EventLogReadOptions<E extends FoldableEvent> = EventLogReadSettings &
  (
    | { readonly onEvents: (events: readonly LogRecord<E>[]) => void; readonly onEvent?: never }
    | { readonly onEvent: (event: E) => void; readonly onEvents?: never }
  );

interface EventLogReadSettings {
  readonly kafka: KafkaSettings;
  /**
   * How to read: `direct-fetch` (default where the cluster allows: it speaks plaintext and TLS,
   * not SASL) or `kafkajs-consumer` (any cluster; slower). Two independent clients, so an auditor
   * can read the same log both ways.
   */
  readonly logReader?: LogReaderKind;
  /** Names this read's clients to the brokers (`<client id>-<suffix>`); default `auditor`. */
  readonly clientIdSuffix?: string;
  readonly serde: AvroSerde;
  readonly topic: string;
  /**
   * Today's consent event schema (five-year-old events are read in today's shape), or a
   * projection of it that leaves out fields the caller does not read (`foldReaderSchema`).
   */
  readonly readerSchema: string;
  /**
   * Refuse records whose key is not the event's subject id (default true). A replay may skip the
   * check: the fold does not depend on which partition an event sat in.
   */
  readonly checkKeys?: boolean;
  /** Read only these partitions (a parallel replay splits them); default all. */
  readonly partitions?: readonly number[];
  /** Where each partition's read ends; default where it ended when the read began. */
  readonly endOffsets?: Readonly<Record<number, PartitionRange>>;
  readonly onUnreadable?: (record: UnreadableRecord) => void;
  readonly onProgress?: (progress: LogReadProgress) => void;
}

export interface EventLogReadResult {
  readonly records: number;
  readonly unreadable: number;
  /** When the first fetch was sent (ms since the epoch; 0 when there was none). */
  readonly firstFetchAt: number;
  /**
   * Time from the first fetch sent to the last record handed on: without the start-up (for the
   * kafkajs consumer, its group's), as Kafka's consumer tools measure.
   */
  readonly fetchMs: number;
  readonly totalMs: number;
  /** How the log was read: Fetch requests to the leaders, or a kafkajs consumer (SASL clusters). */
  readonly reader: LogReaderKind;
}

/** One partition's share of a read: where it ends, and the offset after what was read of it. */
interface PartitionProgress {
  readonly end: number;
  next: number;
}

/** What both ways of reading share: ends, progress, decoding, counting, reporting. */
class EventLogRead<E extends FoldableEvent> {
  records = 0;
  unreadable = 0;
  firstFetchAt = 0;
  readonly total: number;

  constructor(
    private readonly options: EventLogReadOptions<E>,
    readonly partitions: ReadonlyMap<number, PartitionProgress>,
  ) {
    this.total = [...partitions.values()].reduce((sum, p) => sum + p.end - p.next, 0);
  }

  /**
   * Hands on the records of one fetch of `partition` in log order, skipping those before where
   * the read is (a batch can start earlier) and at or past its end. Returns when the partition
   * is finished.
   */
  async take(partition: number, records: RecordSource): Promise<boolean> {
    const progress = this.partitions.get(partition)!;
    const { end } = progress;
    const from = progress.next;
    const { onEvent } = this.options;
    const events: LogRecord<E>[] = [];
    let taken = 0;
    while (records.next()) {
      const offset = records.offset;
      if (offset < from || offset >= end) continue;
      taken += 1;
      progress.next = offset + 1;
      const item =
        this.decodeKnown(partition, records) ??
        (await this.decodeFetchingSchema(partition, records));
      if (isUnreadable(item)) {
        this.unreadable += 1;
        this.options.onUnreadable?.(item);
      } else if (onEvent) onEvent(item);
      else events.push({ partition, offset: String(offset), event: item });
    }
    if (taken > 0) {
      if (events.length > 0) this.options.onEvents?.(events);
      this.records += taken;
      this.options.onProgress?.({ read: this.records, total: this.total });
    }
    return progress.next >= end;
  }

  /** The record decoded without waiting when its schema is known; undefined otherwise. */
  private decodeKnown(partition: number, record: RecordSource): E | UnreadableRecord | undefined {
    if (record.valueLength < 0) return undefined;
    let event: E | undefined;
    try {
      event = this.options.serde.decodeKnownAt<E>(
        record.buffer,
        record.valueStart,
        record.valueLength,
        this.options.readerSchema,
      );
    } catch (error) {
      if (error instanceof NonRetriableError) return unreadableAt(partition, record, error);
      throw error;
    }
    return event && this.checkedKey(partition, record, event);
  }

  private async decodeFetchingSchema(
    partition: number,
    record: RecordSource,
  ): Promise<E | UnreadableRecord> {
    const value =
      record.valueLength < 0
        ? null
        : record.buffer.subarray(record.valueStart, record.valueStart + record.valueLength);
    try {
      const event = await this.options.serde.decode<E>(value, this.options.readerSchema);
      return this.checkedKey(partition, record, event);
    } catch (error) {
      if (error instanceof NonRetriableError) return unreadableAt(partition, record, error);
      throw error;
    }
  }

  /** The event, or unreadable when its key is not its subject (if keys are checked). */
  private checkedKey(partition: number, record: RecordSource, event: E): E | UnreadableRecord {
    if (this.options.checkKeys === false) return event;
    const key = record.keyText();
    if (key === event.subjectId) return event;
    return {
      partition,
      offset: String(record.offset),
      code: 'RECORD.KEY_MISMATCH',
      reason: `record key '${key ?? ''}' is not the event's subject id '${event.subjectId}'`,
    };
  }
}

function isUnreadable<E extends FoldableEvent>(
  item: E | UnreadableRecord,
): item is UnreadableRecord {
  return 'code' in item && 'reason' in item;
}

/** The records of one fetch, one at a time: a {@link RecordBatchCursor}, or kafkajs's messages. */
type RecordSource = Pick<
  RecordBatchCursor,
  'next' | 'buffer' | 'offset' | 'valueStart' | 'valueLength' | 'keyText'
>;

function unreadableAt(
  partition: number,
  record: RecordSource,
  error: NonRetriableError,
): UnreadableRecord {
  return { partition, offset: String(record.offset), code: error.code, reason: error.message };
}

/**
 * Reads a topic of consent events from its beginning to where it ended when the read began.
 * Records that cannot be decoded are reported with their position and skipped; the events behind
 * them are still read. The log is read with Fetch requests sent straight to the partitions'
 * leaders (`scanLog`: no consumer group, no object per record before decoding); on a cluster that
 * needs SASL, which that reader does not speak, with a kafkajs consumer of a group of its own that
 * commits nothing and is deleted afterwards. Either way only committed records are read.
 */
export async function readEventLog<E extends FoldableEvent>(
  options: EventLogReadOptions<E>,
): Promise<EventLogReadResult> {
  const started = Date.now();
  const suffix = options.clientIdSuffix ?? 'auditor';
  const kafka = createKafkaClient(options.kafka, suffix);
  const ranges = options.endOffsets ?? (await partitionRanges(kafka, options.topic));
  const owned = new Set(options.partitions ?? Object.keys(ranges).map(Number));
  // Offsets as numbers: exact below 2^53, far beyond any partition's length.
  const partitions = new Map(
    Object.entries(ranges)
      .filter(
        ([partition, range]) =>
          owned.has(Number(partition)) && Number(range.high) > Number(range.low),
      )
      .map(([partition, range]) => [
        Number(partition),
        { next: Number(range.low), end: Number(range.high) },
      ]),
  );
  const read = new EventLogRead(options, partitions);
  const reader: LogReaderKind =
    options.logReader ?? (canScanLog(options.kafka) ? 'direct-fetch' : 'kafkajs-consumer');
  if (reader === 'direct-fetch' && !canScanLog(options.kafka))
    throw new LogReaderUnavailableError();
  if (partitions.size > 0) {
    if (reader === 'direct-fetch') {
      const scan = await scanLog({
        kafka: options.kafka,
        clientIdSuffix: suffix,
        topic: options.topic,
        ranges: new Map([...partitions].map(([p, { next, end }]) => [p, { from: next, to: end }])),
        onRecords: (partition, records) => read.take(partition, records).then(() => undefined),
      });
      read.firstFetchAt = scan.firstFetchAt;
    } else {
      await readWithConsumer(kafka, options.topic, Object.keys(ranges).map(Number), read);
    }
  }
  const fetchMs = read.firstFetchAt === 0 ? 0 : Date.now() - read.firstFetchAt;
  return {
    records: read.records,
    unreadable: read.unreadable,
    firstFetchAt: read.firstFetchAt,
    fetchMs,
    totalMs: Date.now() - started,
    reader,
  };
}

/**
 * The read through a kafkajs consumer, with a group of its own that commits nothing (so it never
 * disturbs the pipeline's groups) and is deleted afterwards.
 */
async function readWithConsumer<E extends FoldableEvent>(
  kafka: Kafka,
  topic: string,
  allPartitions: readonly number[],
  read: EventLogRead<E>,
): Promise<void> {
  const groupId = `consent-ledger-auditor-${uuidv4()}`;
  const open = new Set(read.partitions.keys());
  const others = allPartitions.filter((partition) => !read.partitions.has(partition));
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 100,
    retry: { retries: 8 },
  });
  try {
    await consumer.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) reject(payload.error);
        });
        consumer.on(consumer.events.FETCH_START, () => {
          if (read.firstFetchAt === 0) read.firstFetchAt = Date.now();
        });
        const finish = (partition: number) => {
          open.delete(partition);
          consumer.pause([{ topic, partitions: [partition] }]);
          if (open.size === 0) resolve();
        };
        // A partition whose last records are transaction markers (a channel that produces
        // with transactions) never hands them to eachBatch; kafkajs still reports the batch.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          if (payload.topic !== topic || !open.has(payload.partition)) return;
          if (Number(payload.lastOffset) + 1 >= read.partitions.get(payload.partition)!.end)
            finish(payload.partition);
        });
        // Another reader's partitions are paused as soon as the group is joined, before the
        // first fetch, so that they are not fetched and decoded for nothing.
        if (others.length > 0)
          consumer.on(consumer.events.GROUP_JOIN, () =>
            consumer.pause([{ topic, partitions: others }]),
          );
        consumer
          .subscribe({ topic, fromBeginning: true })
          .then(() =>
            consumer.run({
              autoCommit: false,
              partitionsConsumedConcurrently: Math.max(1, open.size),
              eachBatch: async ({ batch }) => {
                if (!read.partitions.has(batch.partition)) {
                  // Another reader's partition (each reader has a group of its own).
                  consumer.pause([{ topic, partitions: [batch.partition] }]);
                  return;
                }
                if (!open.has(batch.partition)) return;
                // Nothing is committed, so a rebalance restarts a partition from its
                // beginning: what was read already is skipped, never folded twice.
                if (await read.take(batch.partition, new MessageCursor(batch.messages)))
                  finish(batch.partition);
              },
            }),
          )
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await deleteGroup(kafka, groupId);
  }
}

/** kafkajs's messages of one batch, walked as a {@link RecordSource}. */
class MessageCursor implements RecordSource {
  buffer: Buffer = EMPTY;
  offset = -1;
  valueStart = 0;
  valueLength = -1;
  private index = -1;
  private key: Buffer | null = null;

  constructor(private readonly messages: readonly KafkaMessage[]) {}

  next(): boolean {
    this.index += 1;
    const message = this.messages[this.index];
    if (!message) return false;
    this.offset = Number(message.offset);
    this.key = message.key;
    this.buffer = message.value ?? EMPTY;
    this.valueStart = 0;
    this.valueLength = message.value ? message.value.length : -1;
    return true;
  }

  keyText(): string | undefined {
    return this.key?.toString('utf8');
  }
}

const EMPTY = Buffer.alloc(0);

/** The throwaway group is removed so that audits leave nothing behind on the cluster. */
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group with no offsets expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
