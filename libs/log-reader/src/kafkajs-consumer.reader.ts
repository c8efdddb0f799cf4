import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import type { LogReader, LogReadRequest, RecordSource } from './log-reader';

/**
 * Reads through a kafkajs consumer with a group of its own that commits nothing (so it never
 * disturbs the pipeline's groups) and is deleted afterwards. Works on any cluster kafkajs reaches
 * (SASL too); slower than the direct-fetch reader.
 */
export class KafkajsConsumerLogReader implements LogReader {
  readonly kind = 'kafkajs-consumer';

  constructor(private readonly kafka: Kafka) {}

  async read(request: LogReadRequest): Promise<{ firstFetchAt: number }> {
    const groupId = `consent-ledger-auditor-${uuidv4()}`;
    const consumer = this.kafka.consumer({
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
        return await readAll(consumer, request);
      } finally {
        await consumer.disconnect();
      }
    } finally {
      await deleteGroup(this.kafka, groupId);
    }
  }
}

/** Runs the consumer until every span is read. */
function readAll(consumer: Consumer, request: LogReadRequest): Promise<{ firstFetchAt: number }> {
  const { topic, spans } = request;
  const open = new Set(spans.keys());
  let firstFetchAt = 0;
  return new Promise((resolve, reject) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) reject(payload.error);
    });
    consumer.on(consumer.events.FETCH_START, () => {
      if (firstFetchAt === 0) firstFetchAt = Date.now();
    });
    const finish = (partition: number) => {
      open.delete(partition);
      consumer.pause([{ topic, partitions: [partition] }]);
      if (open.size === 0) resolve({ firstFetchAt });
    };
    watchPartitions(consumer, request, open, finish);
    consumer
      .subscribe({ topic, fromBeginning: true })
      .then(() =>
        consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: Math.max(1, open.size),
          eachBatch: async ({ batch }) => {
            if (!spans.has(batch.partition)) {
              // Another reader's partition (each reader has a group of its own).
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              return;
            }
            if (!open.has(batch.partition)) return;
            // Nothing is committed, so a rebalance restarts a partition from its beginning:
            // the caller skips what it has read already.
            if (await request.onRecords(batch.partition, new MessageCursor(batch.messages)))
              finish(batch.partition);
          },
        }),
      )
      .catch(reject);
  });
}

/**
 * A partition whose last records are transaction markers (a channel that produces with
 * transactions) never hands them to eachBatch; kafkajs still reports the batch, which finishes it.
 * Another reader's partitions are paused as soon as the group is joined, before the first fetch,
 * so that they are not fetched and decoded for nothing.
 */
function watchPartitions(
  consumer: Consumer,
  { topic, spans, allPartitions }: LogReadRequest,
  open: ReadonlySet<number>,
  finish: (partition: number) => void,
): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic || !open.has(payload.partition)) return;
    if (Number(payload.lastOffset) + 1 >= spans.get(payload.partition)!.to)
      finish(payload.partition);
  });
  const others = allPartitions.filter((partition) => !spans.has(partition));
  if (others.length > 0)
    consumer.on(consumer.events.GROUP_JOIN, () => consumer.pause([{ topic, partitions: others }]));
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
