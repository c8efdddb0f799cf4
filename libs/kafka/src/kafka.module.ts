import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { API_KEY_SOURCE, APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { Admin, Kafka } from 'kafkajs';
import { ApiKeyDirectory, ApiKeyPublisher } from './api-key-directory';
import { AvroSerde } from './avro-serde';
import { ChainCheckpointPublisher } from './chain-checkpoint.topic';
import { bootstrapKafka } from './kafka-bootstrap';
import { createKafkaClient } from './kafka-client.factory';
import { LifecycleRecordPublisher } from './lifecycle-record.publisher';
import { consentTopics } from './topic-definitions';

/** DI token for the kafkajs client. */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * Applies the topic list and registers the schemas before the app serves anything, and keeps one
 * admin connection for health checks.
 */
@Injectable()
export class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaLifecycle.name);
  private admin?: Admin;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly apiKeys: ApiKeyDirectory,
    private readonly apiKeyPublisher: ApiKeyPublisher,
  ) {}

  async onModuleInit(): Promise<void> {
    const result = await bootstrapKafka(this.config, this.kafka, this.serde);
    this.logger.log({ msg: 'topics and schemas in place', ...result });
    // Every app admits the managed keys (consent.api-keys.v1) before it serves a request.
    await this.apiKeys.start();
  }

  /** A connected admin client, shared by health checks. */
  async sharedAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.apiKeys.stop();
    await this.apiKeyPublisher.stop();
    await this.admin?.disconnect();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: KAFKA_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Kafka => createKafkaClient(config.kafka),
    },
    {
      provide: AvroSerde,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): AvroSerde => AvroSerde.connect(config.schemaRegistry),
    },
    {
      provide: ChainCheckpointPublisher,
      inject: [KAFKA_CLIENT, APP_CONFIG],
      useFactory: (kafka: Kafka, config: AppConfig) =>
        new ChainCheckpointPublisher(kafka, consentTopics(config.kafka.topicPrefix)),
    },
    {
      provide: ApiKeyDirectory,
      inject: [KAFKA_CLIENT, APP_CONFIG],
      useFactory: (kafka: Kafka, config: AppConfig) =>
        new ApiKeyDirectory(kafka, consentTopics(config.kafka.topicPrefix).apiKeys, config.apiKeys),
    },
    { provide: API_KEY_SOURCE, useExisting: ApiKeyDirectory },
    {
      provide: ApiKeyPublisher,
      inject: [KAFKA_CLIENT, APP_CONFIG],
      useFactory: (kafka: Kafka, config: AppConfig) =>
        new ApiKeyPublisher(kafka, consentTopics(config.kafka.topicPrefix).apiKeys),
    },
    {
      provide: LifecycleRecordPublisher,
      inject: [KAFKA_CLIENT, APP_CONFIG],
      useFactory: (kafka: Kafka, config: AppConfig) =>
        new LifecycleRecordPublisher(kafka, consentTopics(config.kafka.topicPrefix).lifecycle),
    },
    KafkaLifecycle,
  ],
  exports: [
    LifecycleRecordPublisher,
    KAFKA_CLIENT,
    AvroSerde,
    KafkaLifecycle,
    ChainCheckpointPublisher,
    ApiKeyDirectory,
    API_KEY_SOURCE,
    ApiKeyPublisher,
  ],
})
export class KafkaModule {}
