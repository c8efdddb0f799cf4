import type { Kafka, Producer } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { checkpointMessages, latestCheckpoint } from './chain-checkpoint';
import type { ChainCheckpoint, ChainHeadLeaf, ExportedCheckpoint } from './chain-checkpoint';
import { ACKS_ALL, createDurableProducer } from './durable-producer';

/** How long reading the checkpoints topic may take. */
const READ_DEADLINE_MS = 60_000;
/** Leaves per message: a subject id of up to 256 characters and a hash stay under 1 MB. */
const LEAVES_PER_PART = 2_000;

/**
 * The last complete checkpoint of `eventsTopic` on the checkpoints topic, read from its beginning
 * to where it ends now; undefined when none was taken.
 */
export async function readLatestCheckpoint(
  kafka: Kafka,
  checkpointsTopic: string,
  eventsTopic: string,
): Promise<ExportedCheckpoint | undefined> {
  const end = await checkpointsEnd(kafka, checkpointsTopic);
  if (end === undefined) return undefined;
  const values: unknown[] = [];
  const consumer = kafka.consumer({ groupId: `auditor-checkpoints-${uuidv4()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: checkpointsTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${checkpointsTopic} not read to its end within ${READ_DEADLINE_MS} ms`),
          ),
        READ_DEADLINE_MS,
      );
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.value) values.push(JSON.parse(message.value.toString('utf8')));
          if (BigInt(message.offset) + 1n >= end) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return latestCheckpoint(values, eventsTopic);
}

/** Where the checkpoints topic ends; undefined when it does not exist or holds nothing. */
async function checkpointsEnd(kafka: Kafka, topic: string): Promise<bigint | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const [partition] = await admin.fetchTopicOffsets(topic);
    const end = BigInt(partition?.high ?? '0');
    return end === BigInt(partition?.low ?? '0') ? undefined : end;
  } finally {
    await admin.disconnect();
  }
}

/** Where a checkpoint's events topic stands, and where its signed checkpoints go. */
export class ChainCheckpointPublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: { readonly events: string; readonly checkpoints: string },
  ) {
    this.producer = createDurableProducer(kafka);
  }

  /** Where each partition of the events topic ends now. */
  async frontier(): Promise<Record<string, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topics.events);
      return Object.fromEntries(offsets.map(({ partition, high }) => [String(partition), high]));
    } finally {
      await admin.disconnect();
    }
  }

  /** The checkpoint's leaves in parts, then the checkpoint; resolves once Kafka holds them. */
  async publish(checkpoint: ChainCheckpoint, leaves: readonly ChainHeadLeaf[]): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    for (const message of checkpointMessages(checkpoint, leaves, LEAVES_PER_PART)) {
      await this.producer.send({
        topic: this.topics.checkpoints,
        acks: ACKS_ALL,
        messages: [{ key: checkpoint.checkpointId, value: JSON.stringify(message) }],
      });
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
