import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import {
  AvroSerde,
  batchIsCurrent,
  completeBatch,
  consentTopics,
  downstreamTopic,
  createDurableProducer,
  FetchBatchGatherer,
  KAFKA_CLIENT,
  latestSchemaText,
  gatheringConsumer,
  ResilientConsumer,
} from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { forgetStandingsBasis, recountStandingsIfStale } from '@consent-ledger/persistence';
import { recountStandingsWhenStale } from './consent-standings';
import { ConsentEventProjection } from './consent-event.projection';
import type { BatchOutcome, PartitionBatch } from './consent-event.projection';
import { OutboxRelay } from './outbox.relay';
import { projectorMetrics } from './projector.metrics';

/**
 * Runs the consent projection on consent.events.v1. Plain kafkajs rather than
 * @nestjs/microservices: the checkpoint lives in PostgreSQL with the view, so the consumer must
 * control offsets (no auto-resolve, seek on gaps) and apply every partition of a fetch together
 * (kafkajs hands them over one by one; a FetchBatchGatherer joins them again).
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectorService.name);
  /** Dead letters and outbox publishing share one durable producer. */
  private readonly deadLetterProducer: Producer;
  private readonly consumer: ResilientConsumer;
  private readonly projection: ConsentEventProjection;
  private readonly gatherer: FetchBatchGatherer<PartitionBatch, BatchOutcome>;
  private readonly eventsTopic: string;
  private readonly relay: OutboxRelay;
  /** Whether the compliance dashboard's standings are kept (DASHBOARD_PROJECTION). */
  private readonly keepsStandings: boolean;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {
    const topics = consentTopics(config.kafka.topicPrefix);
    const consumerGroup = `${config.kafka.topicPrefix}consent-projector`;
    this.eventsTopic = topics.events;
    this.keepsStandings = config.complianceDashboard.projection;
    this.deadLetterProducer = createDurableProducer(kafka);
    this.projection = new ConsentEventProjection(dataSource, serde, this.deadLetterProducer, {
      readerSchema: latestSchemaText(config.schemaRegistry.schemasDir, 'consent-event'),
      consentPolicy,
      stateTopic: topics.state,
      suppressionTopic: (purpose: string) => downstreamTopic(topics, purpose),
      eventsTopic: topics.events,
      deadLetterTopic: topics.deadLetter,
      consumerGroup,
      countsStandings: config.complianceDashboard.projection,
    });
    this.gatherer = new FetchBatchGatherer((batches) => this.applyTimed(batches));
    this.relay = new OutboxRelay(this.deadLetterProducer, serde, config.database.url);
    this.consumer = gatheringConsumer({
      kafka,
      groupId: consumerGroup,
      sessionTimeout: 10_000,
      topics: [topics.events],
      eachBatch: (payload) => this.onBatch(payload),
      log: (message, details) => this.logger.warn({ ...details, msg: message }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deadLetterProducer.connect();
    // Kept: counted again when stale. Not kept: their basis is forgotten, so that keeping them
    // again later counts them afresh rather than adding to counts that missed events.
    if (this.keepsStandings)
      await recountStandingsWhenStale(
        (...recount) => recountStandingsIfStale(this.dataSource, ...recount),
        this.consentPolicy,
        this.logger,
      );
    else await forgetStandingsBasis(this.dataSource);
    await this.relay.start();
    await this.consumer.start();
    this.logger.log(`projecting ${this.eventsTopic}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.relay.stop();
    await this.deadLetterProducer.disconnect();
  }

  liveness(): ConsumerLiveness {
    return this.consumer.liveness();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    if (!batchIsCurrent(payload)) return;
    const { batch } = payload;
    const outcome = await this.gatherer.submit({
      partition: batch.partition,
      messages: batch.messages,
    });
    if (outcome.seekTo !== undefined) {
      this.logger.warn({
        partition: batch.partition,
        from: batch.firstOffset(),
        to: outcome.seekTo,
        msg: 'group offset ahead of the read model; seeking back to the checkpoint',
      });
      this.consumer.seek(batch.topic, batch.partition, outcome.seekTo);
      return;
    }
    projectorMetrics.eventsApplied.inc(outcome.applied);
    projectorMetrics.duplicates.inc(outcome.duplicates);
    for (const letter of outcome.deadLettered) {
      projectorMetrics.deadLetters.inc({ code: letter.error.code });
      this.logger.warn({
        partition: batch.partition,
        offset: letter.message.offset,
        code: letter.error.code,
        msg: `dead-lettered: ${letter.error.message}`,
      });
    }
    projectorMetrics.lag.set(
      { partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - 1 - Number(batch.lastOffset())),
    );
    projectorMetrics.restarts.set(this.consumer.liveness().restarts);
    await completeBatch(payload);
  }

  private async applyTimed(batches: PartitionBatch[]): Promise<BatchOutcome[]> {
    const stopTimer = projectorMetrics.batchSeconds.startTimer();
    try {
      return await this.projection.applyBatches(batches);
    } finally {
      stopTimer();
    }
  }
}
