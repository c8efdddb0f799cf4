import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  ACKS_ALL,
  AvroSerde,
  consentTopics,
  createDurableProducer,
  KAFKA_CLIENT,
  valueSubject,
} from '@consent-ledger/kafka';
import type { Kafka, Producer } from 'kafkajs';
import { AppError } from '@consent-ledger/http';

const RETRY_AFTER_SECONDS = 5;

/**
 * Writes consent events to consent.events.v1 (key = subject id, so a subject's events stay in
 * order) and resolves only once every in-sync replica has them. If Kafka does not acknowledge
 * within KAFKA_ACK_TIMEOUT_MS the caller gets a 503 with Retry-After, never a 202.
 */
@Injectable()
export class ConsentEventPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly producer: Producer;
  private readonly topic: string;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    private readonly serde: AvroSerde,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.producer = createDurableProducer(kafka);
    this.topic = consentTopics(config.kafka.topicPrefix).events;
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }

  /** Serialises events with the latest registered event schema (see the writer's chain links). */
  encoder(): Promise<(event: ConsentEvent) => { bytes: Buffer; written: ConsentEvent }> {
    return this.serde.encoderFor<ConsentEvent>(valueSubject(this.topic));
  }

  /**
   * Resolves once Kafka acknowledged every record; rejects with {@link KafkaNotAcknowledged} when
   * it did not within KAFKA_ACK_TIMEOUT_MS. The send may then still land later (the producer
   * keeps retrying it, and it cannot be recalled): the writer keeps such records and sends the
   * very same ones again. The writer's group commit already gathers concurrent requests into one
   * call, one produce request, at a time. A later call's records for a partition wait until the
   * send still retrying there settles (the durable producer's ProducerGenerations: another batch
   * under the numbers of a failed attempt would be taken by the broker for a repeat and dropped).
   */
  async publish(records: readonly EventRecord[]): Promise<void> {
    const messages = records.map(({ subjectId, eventId, value }) => ({
      key: subjectId,
      value,
      headers: { 'event-id': eventId },
    }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${this.config.kafka.ackTimeoutMs} ms`)),
        this.config.kafka.ackTimeoutMs,
      );
    });
    try {
      await Promise.race([
        this.producer.send({ topic: this.topic, acks: ACKS_ALL, messages }),
        timeout,
      ]);
    } catch (error) {
      throw new KafkaNotAcknowledged((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A serialised event as it goes to the events topic. */
export interface EventRecord {
  readonly subjectId: string;
  readonly eventId: string;
  readonly value: Buffer;
}

/** Kafka did not acknowledge a send in time; it may still land. */
export class KafkaNotAcknowledged extends Error {}

/**
 * The answer when Kafka did not acknowledge: the outcome is unknown, and a retry with the same
 * key settles it (it sends the very same event again and answers once Kafka holds it).
 */
export function outcomeUnknown(reason: string, eventIds: readonly string[]): AppError {
  return new AppError(
    'KAFKA.OUTCOME_UNKNOWN',
    'Event log did not acknowledge',
    `Kafka did not acknowledge the write in time (${reason}); the event may still be written. Retry with the same idempotency key: the retry sends the very same event (${eventIds.join(', ')}) again and answers once Kafka holds it, never writing a second one. The API also sends it again by itself until Kafka holds it.`,
    [],
    RETRY_AFTER_SECONDS,
  );
}
