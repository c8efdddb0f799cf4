import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import {
  AvroSerde,
  consentTopics,
  KAFKA_CLIENT,
  UsageLogBackloggedError,
  UsageLogPublisher,
} from '@consent-ledger/kafka';
import type { UsageEntry } from '@consent-ledger/kafka';
import { AppError } from '@consent-ledger/http';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';

/** Records waiting for Kafka beyond which uses are refused (503) rather than go unrecorded. */
const MAX_PENDING_USAGE_RECORDS = 200_000;
/** How long usage records gather before one produce. */
const USAGE_FLUSH_INTERVAL_MS = 20;

let measured: UsageLogPublisher | undefined;
new Gauge({
  name: 'consent_usage_log_backlog_records',
  help: 'Usage records waiting to be written to consent.decisions.v1',
  collect() {
    if (measured) this.set(measured.backlog);
  },
});
const writeFailures = new Counter({
  name: 'consent_usage_log_write_failures_total',
  help: 'Failed writes of usage records to consent.decisions.v1 (retried)',
});

/** Every decision and filtered record is written to the usage log, consent.decisions.v1. */
@Injectable()
export class UsageLogService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UsageLogService.name);
  private readonly publisher: UsageLogPublisher;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
  ) {
    const topics = consentTopics(config.kafka.topicPrefix);
    this.publisher = new UsageLogPublisher({
      kafka,
      serde,
      topic: topics.usage,
      maxPending: MAX_PENDING_USAGE_RECORDS,
      flushIntervalMs: USAGE_FLUSH_INTERVAL_MS,
      onError: (error, pending) => {
        writeFailures.inc();
        this.logger.error({ err: error, pending, msg: 'usage log write failed; retrying' });
      },
      deadLetterTopic: topics.deadLetter,
      onRefused: (record, error) =>
        this.logger.error({
          usageId: record.usageId,
          code: error.code,
          msg: `usage record dead-lettered: ${error.message}`,
        }),
    });
    measured = this.publisher;
  }

  async onModuleInit(): Promise<void> {
    await this.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    const unwritten = await this.publisher.stop();
    if (unwritten > 0)
      this.logger.error({ unwritten, msg: 'usage records could not be written before shutdown' });
  }

  /** 503 before answering when the usage log cannot take more: no use goes unrecorded. */
  assertAccepting(): void {
    try {
      this.publisher.assertAccepting();
    } catch (error) {
      if (!(error instanceof UsageLogBackloggedError)) throw error;
      throw new AppError(error.code, 'Usage log unavailable', error.message);
    }
  }

  record(entries: readonly UsageEntry[]): void {
    this.publisher.record(entries);
  }

  /** Resolves once everything recorded so far is durable (tests, shutdown). */
  flush(): Promise<number> {
    return this.publisher.flush();
  }
}
