import { loadConsentPolicy } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { Kafka } from 'kafkajs';
import type { AvroSerde } from './avro-serde';
import { readSchemaVersions, valueSubject } from './schema-catalog';
import { readTopicDefinitions } from './topic-definitions';
import { applyTopics } from './topic-provisioner';
import type { TopicChanges } from './topic-provisioner';
import { retryWhileSettling } from './transient-errors';

/** How long an app's start waits for a settling cluster before it gives up. */
const BOOTSTRAP_SETTLE_MS = 120_000;

export interface KafkaBootstrapResult {
  readonly topics: TopicChanges;
  /** Registered value subjects and the registry id of their latest version. */
  readonly subjects: Readonly<Record<string, number>>;
}

/**
 * Brings the cluster and the registry to what the repository declares: the topics of the topic
 * list (per-purpose topics for every consent-based purpose of the taxonomy) and, for each topic that names a value schema, every version of that schema registered
 * (oldest first) under the topic's value subject with BACKWARD compatibility. Idempotent; every
 * app runs it at boot.
 */
export async function bootstrapKafka(
  config: AppConfig,
  kafka: Kafka,
  serde: AvroSerde,
): Promise<KafkaBootstrapResult> {
  const { taxonomy } = loadConsentPolicy(config.consentPolicy);
  const consentPurposes = [...taxonomy.purposes.values()]
    .filter((purpose) => purpose.basis === 'consent')
    .map((purpose) => purpose.id);
  const definitions = readTopicDefinitions(
    config.kafka.topicsFile,
    config.kafka.replicationFactorOverride,
    config.kafka.topicPrefix,
    consentPurposes,
  );
  const admin = kafka.admin();
  let topics: TopicChanges;
  try {
    // Idempotent, so an app starting while the cluster settles tries it again.
    topics = await retryWhileSettling(
      async () => {
        await admin.connect();
        return applyTopics(admin, definitions);
      },
      { what: 'applying the topic list', timeoutMs: BOOTSTRAP_SETTLE_MS },
    );
  } finally {
    await admin.disconnect();
  }
  const subjects: Record<string, number> = {};
  for (const topic of definitions) {
    if (!topic.valueSchema) continue;
    const versions = readSchemaVersions(config.schemaRegistry.schemasDir, topic.valueSchema);
    const subject = valueSubject(topic.name);
    subjects[subject] = await serde.registerVersions(
      subject,
      versions.map((version) => version.text),
    );
  }
  return { topics, subjects };
}
