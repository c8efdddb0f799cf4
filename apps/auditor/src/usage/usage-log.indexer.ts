import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import {
  AvroSerde,
  consentTopics,
  KAFKA_CLIENT,
  latestSchemaText,
  NonRetriableError,
  PIPELINE_CONSUMER,
  PIPELINE_FETCH_PAUSE_MS,
  publishDeadLetters,
  ResilientConsumer,
  createDurableProducer,
} from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import { AuditRepository, dataRefusalReason, isDataRefusal } from '@consent-ledger/persistence';
import type { IndexedUsage } from '@consent-ledger/persistence';
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';

/**
 * Indexes the usage log (consent.decisions.v1) into PostgreSQL so an auditor can ask which
 * campaigns and jobs used a person's data. Idempotent by usage id, so offsets are committed after
 * the rows are stored; an undecodable record is dead-lettered with the reason, never blocking.
 */
@Injectable()
export class UsageLogIndexer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UsageLogIndexer.name);
  private readonly audit = new AuditRepository();
  private readonly consumer: ResilientConsumer;
  private readonly deadLetters: Producer;
  private readonly readerSchema: string;
  private readonly consumerGroup: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly dataSource: DataSource,
  ) {
    const topics = consentTopics(config.kafka.topicPrefix);
    this.readerSchema = latestSchemaText(config.schemaRegistry.schemasDir, 'consent-usage');
    this.deadLetters = createDurableProducer(kafka);
    this.consumerGroup = `${config.kafka.topicPrefix}consent-ledger.usage-index`;
    this.consumer = new ResilientConsumer({
      kafka,
      config: {
        groupId: this.consumerGroup,
        sessionTimeout: 30_000,
        ...PIPELINE_CONSUMER,
      },
      topics: [topics.usage],
      run: {
        partitionsConsumedConcurrently: 3,
        eachBatch: (payload) => this.onBatch(payload, topics.deadLetter),
      },
      fetchPauseMs: PIPELINE_FETCH_PAUSE_MS,
      log: (message, details) => this.logger.warn({ ...details, msg: message }),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.deadLetters.connect();
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.deadLetters.disconnect();
  }

  liveness(): ConsumerLiveness {
    return this.consumer.liveness();
  }

  private async onBatch(payload: EachBatchPayload, deadLetterTopic: string): Promise<void> {
    const { batch } = payload;
    const records: Array<{ usage: IndexedUsage; message: KafkaMessage }> = [];
    const deadLetter = (message: KafkaMessage, error: NonRetriableError) =>
      publishDeadLetters(this.deadLetters, deadLetterTopic, this.consumerGroup, [
        { message, sourceTopic: batch.topic, partition: batch.partition, error },
      ]);
    for (const message of batch.messages) {
      try {
        const usage = await this.serde.decode<ConsentUsageRecord>(message.value, this.readerSchema);
        records.push({
          usage: { ...usage, partition: batch.partition, offset: message.offset },
          message,
        });
      } catch (error) {
        if (!(error instanceof NonRetriableError)) throw error;
        await deadLetter(message, error);
      }
    }
    try {
      await this.audit.indexUsage(
        this.dataSource.manager,
        records.map(({ usage }) => usage),
      );
    } catch (error) {
      if (!isDataRefusal(error)) throw error;
      // A record PostgreSQL refuses (NUL in a text): index the others one by one, dead-letter it.
      for (const { usage, message } of records) {
        try {
          await this.audit.indexUsage(this.dataSource.manager, [usage]);
        } catch (refusal) {
          if (!isDataRefusal(refusal)) throw refusal;
          await deadLetter(
            message,
            new NonRetriableError('RECORD.DATA_REFUSED', dataRefusalReason(refusal)),
          );
        }
      }
    }
  }
}
