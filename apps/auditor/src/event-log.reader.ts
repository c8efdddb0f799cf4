import type { KafkaSettings } from '@consent-ledger/config';
import type { FoldableEvent, LogLocation } from '@consent-ledger/consent-domain';
// Imported file by file: a replay's worker threads start faster without the rest of the library.
import type { AvroSerde } from '@consent-ledger/kafka/avro-serde';
import { createKafkaClient } from '@consent-ledger/kafka/kafka-client.factory';
import { NonRetriableError } from '@consent-ledger/kafka/processing-errors';
import { createLogReader, partitionRanges } from '@consent-ledger/log-reader';
import type { LogReaderKind, PartitionRange, RecordSource } from '@consent-ledger/log-reader';

export { partitionRanges, type PartitionRange } from '@consent-ledger/log-reader';

/** A record of the events topic that is not a readable consent event. */
export interface UnreadableRecord extends LogLocation {
  readonly code: string;
  readonly reason: string;
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

function unreadableAt(
  partition: number,
  record: RecordSource,
  error: NonRetriableError,
): UnreadableRecord {
  return { partition, offset: String(record.offset), code: error.code, reason: error.message };
}

/**
 * Reads a topic of consent events from its beginning to where it ended when the read began, with
 * the log reader asked for or the fastest the cluster allows (`@consent-ledger/log-reader`: Fetch
 * requests straight to the leaders, or a kafkajs consumer of a group of its own on clusters with
 * SASL). Records that cannot be decoded are reported with their position and skipped; the events
 * behind them are still read. Only committed records are read.
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
  const reader = createLogReader(options.kafka, suffix, options.logReader);
  if (partitions.size > 0) {
    const { firstFetchAt } = await reader.read({
      topic: options.topic,
      spans: new Map([...partitions].map(([p, { next, end }]) => [p, { from: next, to: end }])),
      allPartitions: Object.keys(ranges).map(Number),
      onRecords: (partition, records) => read.take(partition, records),
    });
    read.firstFetchAt = firstFetchAt;
  }
  const fetchMs = read.firstFetchAt === 0 ? 0 : Date.now() - read.firstFetchAt;
  return {
    records: read.records,
    unreadable: read.unreadable,
    firstFetchAt: read.firstFetchAt,
    fetchMs,
    totalMs: Date.now() - started,
    reader: reader.kind,
  };
}
