import type { ConsentEvent, LoggedEvent, LogLocation } from '@consent-ledger/consent-domain';
import { AvroSerde, NonRetriableError } from '@consent-ledger/kafka';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';

/** A record of the events topic that is not a readable consent event. */
export interface UnreadableRecord extends LogLocation {
  readonly code: string;
  readonly reason: string;
}

export interface LogReadProgress {
  readonly read: number;
  readonly total: number;
}

export interface EventLogReadOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly topic: string;
  /** Today's consent event schema: five-year-old events are read in today's shape. */
  readonly readerSchema: string;
  /** Called with each partition's events in log order (partitions may interleave). */
  readonly onEvents: (events: readonly LoggedEvent[]) => void;
  readonly onUnreadable?: (record: UnreadableRecord) => void;
  readonly onProgress?: (progress: LogReadProgress) => void;
}

export interface EventLogReadResult {
  readonly records: number;
  readonly unreadable: number;
  /** Where the read stopped: the end of each partition when it began. */
  readonly endOffsets: Readonly<Record<number, string>>;
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
export async function readEventLog(options: EventLogReadOptions): Promise<EventLogReadResult> {
  const started = Date.now();
  const admin = options.kafka.admin();
  await admin.connect();
  const groupId = `consent-ledger-auditor-${uuidv4()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic);
    const ends = new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)]));
    const total = offsets.reduce((sum, entry) => sum + Number(entry.high) - Number(entry.low), 0);
    const open = new Set(
      offsets.filter((entry) => BigInt(entry.high) > BigInt(entry.low)).map((e) => e.partition),
    );
    const endOffsets = Object.fromEntries(offsets.map((entry) => [entry.partition, entry.high]));
    let records = 0;
    let unreadable = 0;
    let firstFetchAt = 0;
    if (open.size > 0) {
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
        await new Promise<void>((resolve, reject) => {
          consumer.on(consumer.events.CRASH, ({ payload }) => {
            if (!payload.restart) reject(payload.error);
          });
          consumer
            .subscribe({ topic: options.topic, fromBeginning: true })
            .then(() =>
              consumer.run({
                autoCommit: false,
                partitionsConsumedConcurrently: Math.max(1, open.size),
                eachBatch: async ({ batch }) => {
                  if (!open.has(batch.partition)) return;
                  if (firstFetchAt === 0) firstFetchAt = Date.now();
                  const end = ends.get(batch.partition)!;
                  const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
                  const decoded = await Promise.all(
                    messages.map((message) => decodeRecord(options, batch.partition, message)),
                  );
                  const events: LoggedEvent[] = [];
                  for (const item of decoded) {
                    if ('event' in item) events.push(item);
                    else {
                      unreadable += 1;
                      options.onUnreadable?.(item);
                    }
                  }
                  if (events.length > 0) options.onEvents(events);
                  records += messages.length;
                  options.onProgress?.({ read: records, total });
                  const last = messages[messages.length - 1];
                  if (last && BigInt(last.offset) + 1n >= end) {
                    open.delete(batch.partition);
                    consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
                    if (open.size === 0) resolve();
                  }
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
    return { records, unreadable, endOffsets, fetchMs, totalMs: Date.now() - started };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function decodeRecord(
  options: EventLogReadOptions,
  partition: number,
  message: KafkaMessage,
): Promise<LoggedEvent | UnreadableRecord> {
  const location = { partition, offset: message.offset };
  try {
    const event = await options.serde.decode<ConsentEvent>(message.value, options.readerSchema);
    const key = message.key?.toString();
    if (key !== event.subjectId) {
      return {
        ...location,
        code: 'RECORD.KEY_MISMATCH',
        reason: `record key '${key ?? ''}' is not the event's subject id '${event.subjectId}'`,
      };
    }
    return { ...location, event };
  } catch (error) {
    if (error instanceof NonRetriableError)
      return { ...location, code: error.code, reason: error.message };
    throw error;
  }
}
