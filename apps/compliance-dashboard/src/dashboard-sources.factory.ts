import { loadConsentPolicy, loadDownstreamSystems } from '@consent-ledger/config';
import type { AppConfig, DownstreamSystem } from '@consent-ledger/config';
import { countedPurposes } from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  consumerGroupLags,
  createKafkaClient,
  DeadLetterFollower,
} from '@consent-ledger/kafka';
import {
  createDataSource,
  migrateDatabase,
  OperationsQueries,
  PostgresTrainingManifestStore,
  StandingQueries,
  VerifyRunStore,
} from '@consent-ledger/persistence';
import type { ConsumerGroupLag } from '@consent-ledger/kafka';
import type { DashboardSources } from './dashboard-sources';

/** The Kafka admin client (libs/kafka's port to it). */
type KafkaAdmin = Parameters<typeof consumerGroupLags>[0];

type Log = (message: string, details?: Record<string, unknown>) => void;

/**
 * Connects the dashboard to its sources: PostgreSQL (the projector's counters, the read model, the
 * admin audit log), Kafka (the dead-letter topics it follows, the consumer groups' offsets). Returns
 * the sources and how to close them.
 */
export async function connectSources(
  config: AppConfig,
  log: Log,
): Promise<{ sources: DashboardSources; close: () => Promise<void> }> {
  const policy = loadConsentPolicy(config.consentPolicy);
  const systems = loadDownstreamSystems(config.connectors.downstreamSystemsFile, policy.taxonomy);
  const topics = consentTopics(config.kafka.topicPrefix);
  const dataSource = createDataSource(config.database);
  await migrateDatabase(dataSource);
  const { admin, deadLetters } = await followKafka(
    config,
    [topics.deadLetter, topics.sinkDeadLetter],
    log,
  );
  const { enabled, connectors, projector } = consumersOf(config, systems);
  const sources: DashboardSources = {
    settings: config.complianceDashboard,
    purposes: countedPurposes(policy.taxonomy).map((id) => ({
      id,
      description: policy.taxonomy.purposes.get(id)!.description,
    })),
    systems: enabled,
    standings: new StandingQueries(dataSource.manager),
    operations: new OperationsQueries(dataSource.manager),
    deadLetters,
    lags: () => lagsOf(admin, [projector, ...connectors.values()], log),
    lastVerify: () => new VerifyRunStore(dataSource.manager).latest(topics.events),
    affectedManifests: () => new PostgresTrainingManifestStore(dataSource).affected(),
    consumerGroups: { projector, connectors },
    erasureKeyHoldHours: config.vault.erasureKeyHoldMs / 3_600_000,
  };
  return {
    sources,
    close: async () => {
      await deadLetters.stop();
      await admin.disconnect();
      await dataSource.destroy();
    },
  };
}

/** The enabled downstream systems, their connectors' consumer groups and the projector's. */
function consumersOf(config: AppConfig, systems: ReadonlyMap<string, DownstreamSystem>) {
  const enabled = config.connectors.enabled.flatMap((name) => {
    const system = systems.get(name);
    return system ? [system] : [];
  });
  const connectors = new Map(
    enabled.map((system) => [system.name, `${config.kafka.topicPrefix}connector.${system.name}`]),
  );
  const projector = `${config.kafka.topicPrefix}consent-projector`;
  return { enabled, connectors, projector };
}

/** The groups' lags; none (the page shows a dash) when Kafka cannot say just now. */
function lagsOf(
  admin: KafkaAdmin,
  groups: readonly string[],
  log: Log,
): Promise<ConsumerGroupLag[]> {
  return consumerGroupLags(admin, groups).catch((error: unknown) => {
    log('consumer lag not measured', { error: (error as Error).message });
    return [];
  });
}

/** The admin client for lags, and the follower of the dead-letter topics, both connected. */
async function followKafka(config: AppConfig, deadLetterTopics: readonly string[], log: Log) {
  const kafka = createKafkaClient(config.kafka, 'compliance-dashboard');
  // Like every app, it applies the topic list at start: the dead-letter topics it follows exist.
  await bootstrapKafka(config, kafka, AvroSerde.connect(config.schemaRegistry));
  const admin = kafka.admin();
  await admin.connect();
  const deadLetters = new DeadLetterFollower(kafka, deadLetterTopics, log);
  await deadLetters.start();
  return { admin, deadLetters };
}
