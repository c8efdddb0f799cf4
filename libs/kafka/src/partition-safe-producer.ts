import { Partitioners } from 'kafkajs';
import { ProducerGenerations } from './producer-generations';
import type { ProducerLifecycle } from './producer-generations';
import type {
  Kafka,
  Message,
  Producer,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from 'kafkajs';

/** How long a topic's partition count is trusted (partitions are only added, by the provisioner). */
const PARTITION_COUNT_TTL_MS = 60_000;

/** Each topic's partition count, asked of the cluster once a minute at most. */
class PartitionCounts {
  private readonly counts = new Map<string, { count: number; until: number }>();

  constructor(private readonly kafka: Kafka) {}

  async of(topics: readonly string[]): Promise<Map<string, number>> {
    const now = Date.now();
    const stale = topics.filter((topic) => (this.counts.get(topic)?.until ?? 0) <= now);
    if (stale.length > 0) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({
          topics: [...new Set(stale)],
        });
        for (const topic of metadata)
          this.counts.set(topic.name, {
            count: topic.partitions.length,
            until: now + PARTITION_COUNT_TTL_MS,
          });
      } finally {
        await admin.disconnect();
      }
    }
    return new Map(topics.map((topic) => [topic, this.counts.get(topic)!.count]));
  }
}

/**
 * A producer whose every send reaches Kafka as one call per partition, one call at a time per
 * partition, through a new kafkajs producer once a call failed (see ProducerGenerations).
 *
 * Why one call per partition: kafkajs 2.2.4 (unmaintained) loses records when a call spans
 * partitions led by different brokers and a leader moves while it is retried. It keeps the
 * answer of each broker that succeeded, re-reads the leaders, and on the retry sends only to
 * brokers without an answer: the records of a partition whose leadership moved to a broker that
 * had already answered are never sent, and the call resolves as if they had been (kafkajs issue
 * 1303). Our fault suite found it: in a rolling restart of three brokers, the outbox relay's
 * batch lost 8 suppression updates out of 3,146 whose state records were written. A call for
 * one partition cannot lose part of itself this way: a failed attempt forgets its broker, and
 * the retry goes to the new leader. Partitions are chosen exactly as the producer's own
 * partitioner would (the Java client's murmur2 on the key), so each key keeps its partition and
 * order.
 */
export function sendingPartitionByPartition(
  kafka: Kafka,
  lifecycle: ProducerLifecycle<Producer>,
): Producer {
  const counts = new PartitionCounts(kafka);
  const generations = new ProducerGenerations(lifecycle);
  const choose = Partitioners.DefaultPartitioner();
  const sendBatch = async ({ topicMessages = [], ...options }: ProducerBatch) => {
    const partitionCounts = await counts.of(topicMessages.map(({ topic }) => topic));
    const calls = new Map<string, { topic: string; messages: Message[] }>();
    for (const { topic, messages } of topicMessages as TopicMessages[]) {
      const count = partitionCounts.get(topic)!;
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [],
        isr: [],
        partitionErrorCode: 0,
      }));
      for (const message of messages) {
        const partition = choose({ topic, partitionMetadata, message });
        const key = `${topic}\u0000${partition}`;
        const call = calls.get(key) ?? { topic, messages: [] };
        call.messages.push({ ...message, partition });
        calls.set(key, call);
      }
    }
    const results = await Promise.all(
      [...calls].map(([lane, { topic, messages }]) =>
        generations.run(lane, (producer) => producer.send({ ...options, topic, messages })),
      ),
    );
    return results.flat();
  };
  return facade(generations, sendBatch);
}

/** A kafkajs Producer whose sends go through `sendBatch` and the rest to the current producer. */
function facade(
  generations: ProducerGenerations<Producer>,
  sendBatch: (batch: ProducerBatch) => Promise<RecordMetadata[]>,
): Producer {
  return new Proxy(generations.producer, {
    get(_target, property) {
      if (property === 'sendBatch') return sendBatch;
      if (property === 'send')
        return ({ topic, messages, ...options }: ProducerRecord): Promise<RecordMetadata[]> =>
          sendBatch({ ...options, topicMessages: [{ topic, messages }] });
      if (property === 'connect') return () => generations.connect();
      if (property === 'disconnect') return () => generations.disconnect();
      const current = generations.producer;
      const value = Reflect.get(current, property) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(current) : value;
    },
  });
}
