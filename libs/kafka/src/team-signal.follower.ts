import type { Kafka } from 'kafkajs';
import type { AvroSerde } from './avro-serde';
import type { ConsentDecisionRecord } from './consent-decision.record';
import { summaryOf } from './dead-letter-follower';
import type { DeadLetterSummary } from './dead-letter-follower';
import type { LifecycleRecord } from './lifecycle-record.publisher';
import { ResilientConsumer } from './resilient-consumer';
import type { ConsumerLiveness } from './resilient-consumer';

/** What the topics tell the team notifier. */
export type TeamSignal =
  | { readonly kind: 'dead-letter'; readonly letter: DeadLetterSummary }
  | { readonly kind: 'lifecycle'; readonly record: LifecycleRecord }
  | {
      readonly kind: 'suppression';
      readonly purpose: string;
      readonly allowed: boolean;
      readonly at: Date;
    };

export interface TeamSignalTopics {
  readonly deadLetters: readonly string[];
  /** Undefined when nobody subscribed to what it tells. */
  readonly lifecycle?: string | undefined;
  /** The suppression topic of each consent-based purpose (none when nobody counts withdrawals). */
  readonly suppression: ReadonlyMap<string, string>;
}

/**
 * Follows the topics internal teams hear of (every dead-letter topic, the lifecycle topic, the
 * suppression topics) in a consumer group of its own, and hands each batch's signals to `handle`;
 * the batch's offsets are committed once `handle` resolved (it writes the notifications down), so
 * a crash repeats signals, never loses them. Records it cannot read are skipped: the consumers
 * that own those topics dead-letter them.
 */
export class TeamSignalFollower {
  private consumer?: ResilientConsumer;

  constructor(
    private readonly options: {
      readonly kafka: Kafka;
      readonly serde: AvroSerde;
      readonly groupId: string;
      readonly topics: TeamSignalTopics;
      readonly handle: (signals: readonly TeamSignal[]) => Promise<void>;
      readonly log: (message: string, details?: Record<string, unknown>) => void;
    },
  ) {}

  /** Whether there is anything to follow. */
  get follows(): boolean {
    const { topics } = this.options;
    return topics.deadLetters.length > 0 || !!topics.lifecycle || topics.suppression.size > 0;
  }

  async start(): Promise<void> {
    const { topics } = this.options;
    const purposeOf = new Map([...topics.suppression].map(([purpose, topic]) => [topic, purpose]));
    this.consumer = new ResilientConsumer({
      kafka: this.options.kafka,
      config: { groupId: this.options.groupId, maxWaitTimeInMs: 250 },
      topics: [
        ...topics.deadLetters,
        ...(topics.lifecycle ? [topics.lifecycle] : []),
        ...topics.suppression.values(),
      ],
      run: {
        eachBatch: async ({ batch }) => {
          const signals: TeamSignal[] = [];
          for (const message of batch.messages) {
            const signal = await this.signalOf(batch.topic, batch.partition, message, purposeOf);
            if (signal) signals.push(signal);
          }
          await this.options.handle(signals);
        },
      },
      log: this.options.log,
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  liveness(): ConsumerLiveness | undefined {
    return this.consumer?.liveness();
  }

  private async signalOf(
    topic: string,
    partition: number,
    message: Parameters<typeof summaryOf>[2],
    purposeOf: ReadonlyMap<string, string>,
  ): Promise<TeamSignal | undefined> {
    try {
      if (this.options.topics.deadLetters.includes(topic))
        return { kind: 'dead-letter', letter: summaryOf(topic, partition, message) };
      if (topic === this.options.topics.lifecycle)
        return {
          kind: 'lifecycle',
          record: JSON.parse(message.value?.toString('utf8') ?? 'null') as LifecycleRecord,
        };
      const decision = await this.options.serde.decode<ConsentDecisionRecord>(message.value);
      return {
        kind: 'suppression',
        purpose: purposeOf.get(topic) ?? decision.purpose,
        allowed: decision.allowed,
        at: decision.causeRecordedAt,
      };
    } catch (error) {
      this.options.log('a record the team notifier cannot read was skipped', {
        topic,
        partition,
        offset: message.offset,
        error: (error as Error).message,
      });
      return undefined;
    }
  }
}
