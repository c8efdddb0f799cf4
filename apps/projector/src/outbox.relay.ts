import { Logger } from '@nestjs/common';
import { ACKS_ALL, AvroSerde, valueSubject } from '@consent-ledger/kafka';
import { OutboxRelaySession } from '@consent-ledger/persistence';
import type { StoredOutboxMessage } from '@consent-ledger/persistence';
import type { Message, Producer } from 'kafkajs';
import { projectorMetrics } from './projector.metrics';

/** Most messages one drain publishes in one produce request. */
const DRAIN_LIMIT = 2_000;
/** Drain at least this often even without a notification (one lost NOTIFY costs at most this). */
const FALLBACK_POLL_MS = 500;

/**
 * Publishes the outbox to the state and suppression topics. It works on a PostgreSQL session of
 * its own: it listens there for the projector's NOTIFY (sent on commit), holds the relay lock
 * there for as long as the session lives (one relay at a time keeps per-key order), and drains in
 * id order: read, produce with acks=all, delete, two round trips a drain. A crash between the
 * produce and the delete publishes those messages again; consumers apply an update once (by its
 * cause event). If the session fails, the relay drops it and opens a new one at its next wake.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private session?: OutboxRelaySession;
  private timer?: NodeJS.Timeout;
  private draining = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly producer: Producer,
    private readonly serde: AvroSerde,
    private readonly databaseUrl: string,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.openSession();
    this.timer = setInterval(() => this.wake(), FALLBACK_POLL_MS);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.closeSession();
  }

  private async openSession(): Promise<OutboxRelaySession> {
    this.session = await OutboxRelaySession.open(
      this.databaseUrl,
      () => this.wake(),
      (error) => {
        this.logger.warn({ msg: 'outbox session failed; reopening', error: error.message });
        void this.closeSession();
      },
    );
    return this.session;
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    void this.drainAll()
      .catch(async (error: unknown) => {
        this.logger.warn({
          msg: 'outbox drain failed; will retry on a new session',
          error: (error as Error).message,
        });
        await this.closeSession();
      })
      .finally(() => {
        this.draining = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drainAll(): Promise<void> {
    const session = this.session ?? (await this.openSession());
    if (!(await session.holdsRelayLock())) return;
    while (!this.stopped && (await this.drainOnce(session)) === DRAIN_LIMIT);
  }

  /** Publishes and deletes up to DRAIN_LIMIT messages; returns how many. */
  private async drainOnce(session: OutboxRelaySession): Promise<number> {
    const oldest = await session.oldest(DRAIN_LIMIT);
    if (oldest.length === 0) return 0;
    await this.publish(oldest);
    await session.remove(oldest.map((message) => message.id));
    projectorMetrics.outboxPublished.inc(oldest.length);
    return oldest.length;
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
