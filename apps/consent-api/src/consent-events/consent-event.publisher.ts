import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
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
   * Resolves once Kafka acknowledged every event. The writer's group commit already gathers
   * concurrent requests into one call, one produce request, at a time. On timeout the send may
   * still land later (it cannot be recalled), which is why a retry must reuse the idempotency key.
   */
  async publish(
    events: ReadonlyArray<{ readonly event: ConsentEvent; readonly value: Buffer }>,
  ): Promise<void> {
    const messages = events.map(({ event, value }) => ({
      key: event.subjectId,
      value,
      headers: { 'event-id': event.eventId },
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
      throw new AppError(
        503,
        'KAFKA.NOT_ACKNOWLEDGED',
        'Event log unavailable',
        `Kafka did not acknowledge the write (${(error as Error).message}). The event was not accepted; retry with the same idempotency key (a retry never has a second effect).`,
        [],
        RETRY_AFTER_SECONDS,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
