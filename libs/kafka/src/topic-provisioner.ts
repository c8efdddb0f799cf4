import { ConfigResourceTypes } from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { TopicDefinition } from './topic-definitions';

/** What {@link applyTopics} changed, for logs and tests. */
export interface TopicChanges {
  readonly created: string[];
  readonly partitionsAdded: string[];
  readonly reconfigured: string[];
  readonly unchanged: string[];
}

async function assertEnoughBrokers(
  admin: Admin,
  topics: readonly TopicDefinition[],
): Promise<void> {
  const { brokers } = await admin.describeCluster();
  const needy = topics.filter((topic) => topic.replicationFactor > brokers.length);
  if (needy.length > 0) {
    throw new Error(
      `Topics ${needy.map((topic) => topic.name).join(', ')} need replication factor ` +
        `${Math.max(...needy.map((topic) => topic.replicationFactor))} but the cluster has ` +
        `${brokers.length} broker(s). Set KAFKA_REPLICATION_FACTOR=${brokers.length} for a ` +
        `development cluster.`,
    );
  }
}

async function driftedConfigs(
  admin: Admin,
  topics: readonly TopicDefinition[],
): Promise<TopicDefinition[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic.name })),
  });
  return topics.filter((topic) => {
    const actual = described.resources.find((resource) => resource.resourceName === topic.name);
    const actualValues = new Map(
      (actual?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
    return Object.entries(topic.config).some(([key, value]) => actualValues.get(key) !== value);
  });
}

/** How long a new topic may take to have a leader for every partition, known to every broker. */
const NEW_TOPIC_LEADERS_TIMEOUT_MS = 60_000;
/** Errors a broker answers about a topic it has not learnt of yet, or whose leaders are being chosen. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Waits until the metadata of `topics` names a leader for every partition, as many times in a
 * row as the cluster has brokers (each metadata request may go to another broker, and each learns
 * of a new topic on its own time), so that what the app does next finds the topics everywhere.
 */
async function waitUntilLeadersKnown(admin: Admin, topics: readonly string[]): Promise<void> {
  const { brokers } = await admin.describeCluster();
  const deadline = Date.now() + NEW_TOPIC_LEADERS_TIMEOUT_MS;
  let inARow = 0;
  while (inARow < brokers.length) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every((topic) =>
        topic.partitions.every((partition) => partition.leader >= 0),
      );
      inARow = led ? inARow + 1 : 0;
    } catch (error) {
      // kafkajs retries these itself first, then throws them wrapped (originalError).
      const { type, originalError } = error as { type?: string; originalError?: { type?: string } };
      if (!NOT_YET_KNOWN.has(type ?? originalError?.type ?? '')) throw error;
      inARow = 0;
    }
    if (inARow >= brokers.length) return;
    if (Date.now() > deadline)
      throw new Error(
        `the new topics ${topics.join(', ')} have no leader known to every broker after ${NEW_TOPIC_LEADERS_TIMEOUT_MS} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Makes the cluster match the topic list, idempotently: creates missing topics, adds missing
 * partitions (never removes any: that would break key ordering) and corrects drifted configs.
 */
export async function applyTopics(
  admin: Admin,
  topics: readonly TopicDefinition[],
): Promise<TopicChanges> {
  await assertEnoughBrokers(admin, topics);
  const existingNames = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existingNames.has(topic.name));
  const existing = topics.filter((topic) => existingNames.has(topic.name));

  if (missing.length > 0) {
    await admin.createTopics({
      // kafkajs's own wait gives up on the first broker that has not heard of the topic yet
      // (UNKNOWN_TOPIC_OR_PARTITION, kafkajs issues 815 and 1222): on a cluster of three an app
      // then failed to start about two times in three. waitUntilLeadersKnown waits instead.
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitUntilLeadersKnown(
      admin,
      missing.map((topic) => topic.name),
    );
  }

  const metadata = existing.length
    ? (await admin.fetchTopicMetadata({ topics: existing.map((topic) => topic.name) })).topics
    : [];
  const short = existing.filter((topic) => {
    const current = metadata.find((entry) => entry.name === topic.name);
    return (current?.partitions.length ?? 0) < topic.partitions;
  });
  if (short.length > 0) {
    await admin.createPartitions({
      topicPartitions: short.map((topic) => ({ topic: topic.name, count: topic.partitions })),
    });
  }

  const drifted = await driftedConfigs(admin, existing);
  if (drifted.length > 0) {
    // AlterConfigs replaces a topic's whole set of overrides; we own these topics, so the
    // declared set is the full intended set.
    await admin.alterConfigs({
      validateOnly: false,
      resources: drifted.map((topic) => ({
        type: ConfigResourceTypes.TOPIC,
        name: topic.name,
        configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  const touched = new Set([...missing, ...short, ...drifted].map((topic) => topic.name));
  return {
    created: missing.map((topic) => topic.name),
    partitionsAdded: short.map((topic) => topic.name),
    reconfigured: drifted.map((topic) => topic.name),
    unchanged: topics.map((topic) => topic.name).filter((name) => !touched.has(name)),
  };
}
