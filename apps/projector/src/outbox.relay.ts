import { Logger } from '@nestjs/common';
import { ACKS_ALL, AvroSerde, valueSubject } from '@consent-ledger/kafka';
import {
  ConsentOutboxRepository,
  OUTBOX_CHANNEL,
  type StoredOutboxMessage,
} from '@consent-ledger/persistence';
import type { Message, Producer } from 'kafkajs';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { projectorMetrics } from './projector.metrics';

/** Most messages one drain publishes in one produce request. */
const DRAIN_LIMIT = 2_000;
/** Drain at least this often even without a notification (one lost NOTIFY costs at most this). */
const FALLBACK_POLL_MS = 500;

/**
 * Publishes the outbox to the state and suppression topics. It wakes on the projector's NOTIFY
 * (sent on commit), drains in id order under an advisory lock (one relay at a time keeps per-key
 * order), produces with acks=all, and deletes what was published in the same transaction.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly outbox = new ConsentOutboxRepository();
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private draining = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly serde: AvroSerde,
    private readonly databaseUrl: string,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.listener = new Client({ connectionString: this.databaseUrl });
    this.listener.on('notification', () => this.wake());
    this.listener.on('error', (error) =>
      this.logger.warn({ msg: 'outbox listener error; polling continues', error: error.message }),
    );
    await this.listener.connect();
    await this.listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.timer = setInterval(() => this.wake(), FALLBACK_POLL_MS);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    void this.drainAll()
      .catch((error: unknown) =>
        this.logger.warn({
          msg: 'outbox drain failed; will retry',
          error: (error as Error).message,
        }),
      )
      .finally(() => {
        this.draining = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drainAll(): Promise<void> {
    while (!this.stopped && (await this.drainOnce()) === DRAIN_LIMIT);
  }

  /** Publishes and deletes up to DRAIN_LIMIT messages; returns how many. */
  private drainOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const claimed = await this.outbox.claimOldest(manager, DRAIN_LIMIT);
      if (!claimed || claimed.length === 0) return 0;
      await this.publish(claimed);
      await this.outbox.remove(
        manager,
        claimed.map((message) => message.id),
      );
      projectorMetrics.outboxPublished.inc(claimed.length);
      return claimed.length;
    });
  }

  private async publish(messages: readonly StoredOutboxMessage[]): Promise<void> {
    const values = await Promise.all(
      messages.map((message) => this.serde.encode(valueSubject(message.topic), message.payload)),
    );
    const byTopic = new Map<string, Message[]>();
    messages.forEach((message, index) => {
      const list = byTopic.get(message.topic);
      const entry = { key: message.key, value: values[index]! };
      if (list) list.push(entry);
      else byTopic.set(message.topic, [entry]);
    });
    await this.producer.sendBatch({
      acks: ACKS_ALL,
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
  }
}
