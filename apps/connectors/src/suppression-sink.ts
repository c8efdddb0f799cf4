import { Logger } from '@nestjs/common';
import {
  AvroSerde,
  NonRetriableError,
  PIPELINE_CONSUMER,
  ProcessingError,
  publishDeadLetters,
  ResilientConsumer,
  type ConsumerLiveness,
} from '@consent-ledger/kafka';
import { SinkPositionRepository } from '@consent-ledger/persistence';
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { connectorMetrics } from './connectors.metrics';
import type { SuppressionTarget, SuppressionUpdate } from './suppression-update';
import { VendorBusyError } from './vendor-http';

/** Vendor calls in flight per batch (different subjects); one subject's updates stay in order. */
export const DELIVERY_CONCURRENCY = 16;

/** Backoff between vendor attempts: doubles from the first delay up to the cap, with jitter. */
export const SINK_RETRY = { firstDelayMs: 200, maxDelayMs: 10_000 } as const;

export interface SuppressionSinkOptions {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly serde: AvroSerde;
  readonly deadLetterProducer: Producer;
  readonly target: SuppressionTarget;
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  readonly consumerGroup: string;
  readonly readerSchema: string;
  readonly maxAttempts: number;
}

/**
 * Delivers one downstream system's suppression topics to its vendor. Plain kafkajs: delivery
 * must hold a partition while it retries (the records behind wait; other partitions flow), and
 * offsets are committed only after the vendor acknowledged or the update was dead-lettered.
 * Each update is applied once: sink_position skips anything at or below what was delivered.
 */
export class SuppressionSink {
  private readonly logger: Logger;
  private readonly consumer: ResilientConsumer;
  private readonly positions: SinkPositionRepository;

  constructor(private readonly options: SuppressionSinkOptions) {
    this.logger = new Logger(`SuppressionSink:${options.target.name}`);
    this.positions = new SinkPositionRepository(options.dataSource, options.target.name);
    this.consumer = new ResilientConsumer({
      kafka: options.kafka,
      config: {
        groupId: options.consumerGroup,
        sessionTimeout: 30_000,
        ...PIPELINE_CONSUMER,
      },
      topics: options.topics,
      run: {
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 6,
        eachBatch: (payload) => this.onBatch(payload),
      },
      log: (message, details) => this.logger.warn({ ...details, msg: message }),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  liveness(): ConsumerLiveness {
    return this.consumer.liveness();
  }

  /**
   * Delivers a batch: updates for different subjects go to the vendor concurrently (up to
   * DELIVERY_CONCURRENCY), updates for the same subject and purpose in order. The partition's
   * offset moves only after every update of the batch was delivered or dead-lettered.
   */
  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const decoded = await Promise.all(
      batch.messages.map((message) => this.decode(batch.topic, batch.partition, message)),
    );
    const updates = decoded.filter(
      (item): item is { message: KafkaMessage; update: SuppressionUpdate } => item !== undefined,
    );
    const delivered = await this.positions.deliveredOffsets(updates.map(({ update }) => update));
    const bySubject = new Map<
      string,
      Array<{ message: KafkaMessage; update: SuppressionUpdate }>
    >();
    for (const item of updates) {
      const key = `${item.update.subjectId}|${item.update.purpose}`;
      const queue = bySubject.get(key);
      if (queue) queue.push(item);
      else bySubject.set(key, [item]);
    }
    const queues = [...bySubject.entries()];
    await Promise.all(
      Array.from({ length: Math.min(DELIVERY_CONCURRENCY, queues.length) }, async () => {
        for (let next = queues.shift(); next; next = queues.shift()) {
          const [key, items] = next;
          for (const { message, update } of items) {
            const already = delivered.get(key);
            if (already !== undefined && already >= BigInt(update.sourceOffset)) {
              connectorMetrics.skipped.inc({ sink: this.options.target.name });
              continue;
            }
            await this.deliver(batch.topic, batch.partition, message, update, heartbeat);
          }
        }
      }),
    );
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  private async decode(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<{ message: KafkaMessage; update: SuppressionUpdate } | undefined> {
    try {
      return {
        message,
        update: await this.options.serde.decode<SuppressionUpdate>(
          message.value,
          this.options.readerSchema,
        ),
      };
    } catch (error) {
      if (!(error instanceof NonRetriableError)) throw error;
      await this.deadLetter(topic, partition, message, error);
      return undefined;
    }
  }

  private async deliver(
    topic: string,
    partition: number,
    message: KafkaMessage,
    update: SuppressionUpdate,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const sink = this.options.target.name;
    const failure = await this.deliverWithRetries(update, heartbeat);
    if (failure) return this.deadLetter(topic, partition, message, failure);
    await this.positions.recordDelivery({
      subjectId: update.subjectId,
      purpose: update.purpose,
      sourceOffset: BigInt(update.sourceOffset),
      causeEventId: update.causeEventId,
      allowed: update.allowed,
    });
    connectorMetrics.delivered.inc({ sink });
    connectorMetrics.propagationSeconds.observe(
      { sink },
      (Date.now() - update.causeRecordedAt.getTime()) / 1000,
    );
  }

  /** Delivers, retrying what can be retried; returns the error that ends the attempts, if any. */
  private async deliverWithRetries(
    update: SuppressionUpdate,
    heartbeat: () => Promise<void>,
  ): Promise<ProcessingError | undefined> {
    const sink = this.options.target.name;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.options.target.deliver(update);
        return undefined;
      } catch (error) {
        const failure =
          error instanceof ProcessingError
            ? error
            : new VendorBusyError('VENDOR.FAILED', (error as Error).message);
        if (!failure.retriable || attempt >= this.options.maxAttempts) return failure;
        connectorMetrics.retries.inc({ sink, code: failure.code });
        const backoff =
          Math.min(SINK_RETRY.maxDelayMs, SINK_RETRY.firstDelayMs * 2 ** (attempt - 1)) *
          (0.8 + Math.random() * 0.4);
        const wait =
          failure instanceof VendorBusyError && failure.retryAfterMs !== undefined
            ? Math.max(failure.retryAfterMs, backoff / 4)
            : backoff;
        await this.sleepWithHeartbeats(Math.min(wait, 60_000), heartbeat);
      }
    }
  }

  private async sleepWithHeartbeats(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      await heartbeat();
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: ProcessingError,
  ): Promise<void> {
    const sink = this.options.target.name;
    await publishDeadLetters(
      this.options.deadLetterProducer,
      this.options.deadLetterTopic,
      this.options.consumerGroup,
      [{ message, sourceTopic: topic, partition, error }],
    );
    connectorMetrics.deadLetters.inc({ sink, code: error.code });
    this.logger.warn({
      topic,
      partition,
      offset: message.offset,
      code: error.code,
      msg: `dead-lettered: ${error.message}`,
    });
  }
}
