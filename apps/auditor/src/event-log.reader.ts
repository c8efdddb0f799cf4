import type { FoldableEvent, LogLocation } from '@consent-ledger/consent-domain';
import { AvroSerde, NonRetriableError } from '@consent-ledger/kafka';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';

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

/** The topic to read is not on the cluster (a mistyped --topic, say). */
export class UnknownTopicError extends Error {
  readonly code = 'AUDIT.UNKNOWN_TOPIC';
  constructor(readonly topic: string) {
    super(`topic '${topic}' does not exist on the cluster`);
  }
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

export interface EventLogReadOptions<E extends FoldableEvent> {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly topic: string;
  /**
   * Today's consent event schema (five-year-old events are read in today's shape), or a
   * projection of it that leaves out fields the caller does not read (`foldReaderSchema`).
   */
  readonly readerSchema: string;
  /** Called with each partition's events in log order (partitions may interleave). */
  readonly onEvents: (events: readonly LogRecord<E>[]) => void;
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
  /** When the first record arrived (ms since the epoch; 0 when there was none). */
  readonly firstFetchAt: number;
  /** Time from the first fetched record to the last, without the consumer's start-up. */
  readonly fetchMs: number;
  readonly totalMs: number;
}

/**
 * Reads a topic of consent events from its beginning to where it ended when the read began, with
 * a consumer group of its own that commits nothing (so it never disturbs the pipeline's groups)
 * and is deleted afterwards. Records that cannot be decoded are reported with their position and
 * skipped; the events behind them are still read.
 */
export async function readEventLog<E extends FoldableEvent>(
  options: EventLogReadOptions<E>,
): Promise<EventLogReadResult> {
  const started = Date.now();
  const groupId = `consent-ledger-auditor-${uuidv4()}`;
  const ranges = options.endOffsets ?? (await partitionRanges(options.kafka, options.topic));
  const owned = new Set(options.partitions ?? Object.keys(ranges).map(Number));
  let groupUsed = false;
  try {
    // Offsets as numbers: exact below 2^53, far beyond any partition's length.
    const ends = new Map(
      Object.entries(ranges).map(([p, range]) => [Number(p), Number(range.high)]),
    );
    const mine = Object.entries(ranges).filter(([p]) => owned.has(Number(p)));
    const total = mine.reduce((sum, [, range]) => sum + Number(range.high) - Number(range.low), 0);
    const open = new Set(
      mine.filter(([, range]) => Number(range.high) > Number(range.low)).map(([p]) => Number(p)),
    );
    const next = new Map<number, number>();
    let records = 0;
    let unreadable = 0;
    let firstFetchAt = 0;
    if (open.size > 0) {
      groupUsed = true;
      const consumer = options.kafka.consumer({
        groupId,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
        maxBytesPerPartition: 16 * 1024 * 1024,
        maxBytes: 64 * 1024 * 1024,
        maxWaitTimeInMs: 100,
        retry: { retries: 8 },
      });
      await consumer.connect();
      try {
        const others = [...ends.keys()].filter((partition) => !owned.has(partition));
        await new Promise<void>((resolve, reject) => {
          consumer.on(consumer.events.CRASH, ({ payload }) => {
            if (!payload.restart) reject(payload.error);
          });
          const finish = (partition: number) => {
            open.delete(partition);
            consumer.pause([{ topic: options.topic, partitions: [partition] }]);
            if (open.size === 0) resolve();
          };
          // A partition whose last records are transaction markers (a channel that produces
          // with transactions) never hands them to eachBatch; kafkajs still reports the batch.
          consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
            if (payload.topic !== options.topic || !open.has(payload.partition)) return;
            if (Number(payload.lastOffset) + 1 >= ends.get(payload.partition)!)
              finish(payload.partition);
          });
          // Another reader's partitions are paused as soon as the group is joined, before the
          // first fetch, so that they are not fetched and decoded for nothing.
          if (others.length > 0)
            consumer.on(consumer.events.GROUP_JOIN, () =>
              consumer.pause([{ topic: options.topic, partitions: others }]),
            );
          consumer
            .subscribe({ topic: options.topic, fromBeginning: true })
            .then(() =>
              consumer.run({
                autoCommit: false,
                partitionsConsumedConcurrently: Math.max(1, open.size),
                eachBatch: async ({ batch }) => {
                  if (!owned.has(batch.partition)) {
                    // Another reader's partition (each reader has a group of its own).
                    consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
                    return;
                  }
                  if (!open.has(batch.partition)) return;
                  if (firstFetchAt === 0) firstFetchAt = Date.now();
                  const end = ends.get(batch.partition)!;
                  // Nothing is committed, so a rebalance restarts a partition from its
                  // beginning: what was read already is skipped, never folded twice.
                  const from = next.get(batch.partition) ?? 0;
                  const events: LogRecord<E>[] = [];
                  let taken = 0;
                  let lastTaken = -1;
                  for (const message of batch.messages) {
                    const offset = Number(message.offset);
                    if (offset < from || offset >= end) continue;
                    taken += 1;
                    lastTaken = offset;
                    const item =
                      decodeKnownRecord(options, batch.partition, message) ??
                      (await decodeRecord(options, batch.partition, message));
                    if ('event' in item) events.push(item);
                    else {
                      unreadable += 1;
                      options.onUnreadable?.(item);
                    }
                  }
                  if (taken === 0) return;
                  next.set(batch.partition, lastTaken + 1);
                  if (events.length > 0) options.onEvents(events);
                  records += taken;
                  options.onProgress?.({ read: records, total });
                  if (lastTaken + 1 >= end) finish(batch.partition);
                },
              }),
            )
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    }
    const fetchMs = firstFetchAt === 0 ? 0 : Date.now() - firstFetchAt;
    return { records, unreadable, firstFetchAt, fetchMs, totalMs: Date.now() - started };
  } finally {
    if (groupUsed) await deleteGroup(options.kafka, groupId);
  }
}

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

/** The record decoded without waiting, when its schema is known; undefined otherwise. */
function decodeKnownRecord<E extends FoldableEvent>(
  options: EventLogReadOptions<E>,
  partition: number,
  message: KafkaMessage,
): LogRecord<E> | UnreadableRecord | undefined {
  let event: E | undefined;
  try {
    event = options.serde.decodeKnown<E>(message.value, options.readerSchema);
  } catch (error) {
    if (error instanceof NonRetriableError)
      return { partition, offset: message.offset, code: error.code, reason: error.message };
    throw error;
  }
  return event && checkedKey(options, partition, message, event);
}

/** The event with its position, or unreadable when its key is not its subject (if checked). */
function checkedKey<E extends FoldableEvent>(
  options: EventLogReadOptions<E>,
  partition: number,
  message: KafkaMessage,
  event: E,
): LogRecord<E> | UnreadableRecord {
  if (options.checkKeys === false) return { partition, offset: message.offset, event };
  const key = message.key?.toString();
  if (key !== event.subjectId) {
    return {
      partition,
      offset: message.offset,
      code: 'RECORD.KEY_MISMATCH',
      reason: `record key '${key ?? ''}' is not the event's subject id '${event.subjectId}'`,
    };
  }
  return { partition, offset: message.offset, event };
}

async function decodeRecord<E extends FoldableEvent>(
  options: EventLogReadOptions<E>,
  partition: number,
  message: KafkaMessage,
): Promise<LogRecord<E> | UnreadableRecord> {
  try {
    const event = await options.serde.decode<E>(message.value, options.readerSchema);
    return checkedKey(options, partition, message, event);
  } catch (error) {
    if (error instanceof NonRetriableError)
      return { partition, offset: message.offset, code: error.code, reason: error.message };
    throw error;
  }
}
