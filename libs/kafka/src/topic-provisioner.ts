import { ConfigResourceTypes, type Admin } from 'kafkajs';
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
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })),
    });
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
