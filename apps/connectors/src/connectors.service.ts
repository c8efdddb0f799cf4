import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  addressedThroughVault,
  APP_CONFIG,
  CONSENT_POLICY,
  loadDownstreamSystems,
} from '@consent-ledger/config';
import type { AppConfig, DownstreamSystem, LoadedConsentPolicy } from '@consent-ledger/config';
import {
  AvroSerde,
  consentTopics,
  createDurableProducer,
  KAFKA_CLIENT,
  latestSchemaText,
} from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import type { Kafka, Producer } from 'kafkajs';
import { IDENTITY_VAULT_STORE, MlTrainingExclusionRepository } from '@consent-ledger/persistence';
import type { IdentityVaultStore } from '@consent-ledger/persistence';
import { VAULT_KEYS } from '@consent-ledger/vault';
import type { VaultKeys } from '@consent-ledger/vault';
import { DataSource } from 'typeorm';
import { CrmClient } from './crm/crm.client';
import { EmailPlatformClient } from './email-platform/email-platform.client';
import { MlTrainingExclusionTarget } from './ml-training/ml-training-exclusion.target';
import { SuppressionSink } from './suppression-sink';
import type { SuppressionTarget } from './suppression-update';
import { externalIds, vaultIdentifiers } from './vendor-identifiers';
import type { VendorIdentifiers } from './vendor-identifiers';

/** Runs one suppression sink per enabled downstream system (CONNECTORS). */
@Injectable()
export class ConnectorsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConnectorsService.name);
  private readonly deadLetterProducer: Producer;
  private readonly sinks: SuppressionSink[];

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CONSENT_POLICY) consentPolicy: LoadedConsentPolicy,
    @Inject(IDENTITY_VAULT_STORE) private readonly vault: IdentityVaultStore,
    @Inject(VAULT_KEYS) private readonly vaultKeys: VaultKeys,
  ) {
    const systems = loadDownstreamSystems(
      config.connectors.downstreamSystemsFile,
      consentPolicy.taxonomy,
    );
    const topics = consentTopics(config.kafka.topicPrefix);
    const readerSchema = latestSchemaText(config.schemaRegistry.schemasDir, 'consent-decision');
    this.deadLetterProducer = createDurableProducer(kafka);
    this.sinks = config.connectors.enabled.map((name) => {
      const system = systems.get(name);
      if (!system)
        throw new Error(
          `CONNECTORS names '${name}', which downstream-systems.yaml does not define`,
        );
      return new SuppressionSink({
        kafka,
        dataSource,
        serde,
        deadLetterProducer: this.deadLetterProducer,
        target: this.targetFor(system, config),
        // Each system hears the suppressions of its purposes, and every erasure (to delete).
        topics: [...system.purposes.map(topics.suppression), topics.erasures],
        deadLetterTopic: topics.sinkDeadLetter,
        consumerGroup: `${config.kafka.topicPrefix}connector.${name}`,
        readerSchema,
        maxAttempts: config.connectors.maxAttempts,
      });
    });
  }

  private targetFor(system: DownstreamSystem, config: AppConfig): SuppressionTarget {
    switch (system.name) {
      case 'email-platform':
        return new EmailPlatformClient(
          config.connectors.emailPlatform,
          system.subscriptionGroups,
          config.connectors.timeoutMs,
          this.identifiersFor(system),
        );
      case 'crm':
        return new CrmClient(
          config.connectors.crm,
          config.connectors.timeoutMs,
          this.identifiersFor(system),
        );
      case 'ml-training':
        if (addressedThroughVault(system))
          throw new Error(
            'ml-training keys its exclusion list by subject id: drop its identifiedBy',
          );
        return new MlTrainingExclusionTarget(new MlTrainingExclusionRepository(this.dataSource));
      default:
        throw new Error(`no connector is implemented for downstream system '${system.name}'`);
    }
  }

  private identifiersFor(system: DownstreamSystem): VendorIdentifiers {
    return system.identifiedBy === 'external-id'
      ? externalIds
      : vaultIdentifiers(system.identifiedBy, this.vault, this.vaultKeys.kms);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deadLetterProducer.connect();
    await Promise.all(this.sinks.map((sink) => sink.start()));
    this.logger.log(`delivering to ${this.sinks.length} downstream system(s)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.stop()));
    await this.deadLetterProducer.disconnect();
  }

  /** All sinks' consumers, for /health: down if any is down. */
  liveness(): ConsumerLiveness {
    const all = this.sinks.map((sink) => sink.liveness());
    const lastBatches = all.map((entry) => entry.lastBatchAt?.getTime() ?? 0);
    return {
      running: all.every((entry) => entry.running),
      restarts: all.reduce((sum, entry) => sum + entry.restarts, 0),
      lastBatchAt: Math.max(...lastBatches, 0) > 0 ? new Date(Math.max(...lastBatches)) : null,
      lag: new Map(
        all.flatMap((entry, index) =>
          [...entry.lag].map(([partition, lag]): [number, number] => [
            index * 1000 + partition,
            lag,
          ]),
        ),
      ),
    };
  }
}
