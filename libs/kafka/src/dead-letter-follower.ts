import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { deadLetterHeaders } from './dead-letter.publisher';
import { ResilientConsumer } from './resilient-consumer';

/** A dead letter as a dashboard shows it: where it came from and why, never its value. */
export interface DeadLetterSummary {
  /** The dead-letter topic it is on, and its place there. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly code: string;
  readonly reason: string;
  readonly sourceTopic: string | null;
  readonly sourcePartition: number | null;
  readonly sourceOffset: string | null;
  /** The consumer group that gave up on it: the projector or a downstream system's connector. */
  readonly consumerGroup: string | null;
  readonly failedAt: string | null;
}

/** How many records each consumer group dead-lettered, per reason code. */
export interface DeadLetterTotal {
  readonly consumerGroup: string;
  readonly code: string;
  readonly letters: number;
}

/** Letters kept in memory for the list (the totals count them all). */
const KEPT_LETTERS = 500;

/**
 * Follows the dead-letter topics from their start, keeping the totals per consumer group and
 * reason, and the latest letters (their headers only: a letter's value is the record that failed,
 * which stays on the topic). A group of its own per instance that commits nothing, so every
 * instance reads every letter and leaves no offsets behind.
 */
export class DeadLetterFollower {
  private readonly latest: DeadLetterSummary[] = [];
  private readonly totals = new Map<string, DeadLetterTotal>();
  private readonly listeners = new Set<(letter: DeadLetterSummary) => void>();
  private consumer?: ResilientConsumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: readonly string[],
    private readonly log: (message: string, details?: Record<string, unknown>) => void,
  ) {}

  async start(): Promise<void> {
    this.consumer = new ResilientConsumer({
      kafka: this.kafka,
      config: { groupId: `dead-letter-follower-${randomUUID()}`, maxWaitTimeInMs: 250 },
      topics: [...this.topics],
      run: {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages)
            this.add(summaryOf(batch.topic, batch.partition, message));
        },
      },
      log: this.log,
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  /** The latest letters, newest first. */
  recent(limit = KEPT_LETTERS): DeadLetterSummary[] {
    return this.latest.slice(-limit).reverse();
  }

  /** Totals per consumer group and reason, largest first. */
  counts(): DeadLetterTotal[] {
    return [...this.totals.values()].sort((a, b) => b.letters - a.letters);
  }

  /** Calls `listener` for each letter read from now on; returns how to stop. */
  onLetter(listener: (letter: DeadLetterSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private add(letter: DeadLetterSummary): void {
    this.latest.push(letter);
    if (this.latest.length > KEPT_LETTERS) this.latest.shift();
    const group = letter.consumerGroup ?? '(unknown)';
    const key = `${group}\u0000${letter.code}`;
    const total = this.totals.get(key);
    this.totals.set(key, {
      consumerGroup: group,
      code: letter.code,
      letters: (total?.letters ?? 0) + 1,
    });
    for (const listener of this.listeners) listener(letter);
  }
}

export function summaryOf(
  topic: string,
  partition: number,
  message: KafkaMessage,
): DeadLetterSummary {
  const header = (name: string): string | null => {
    const value = message.headers?.[name];
    if (value === undefined || value === null) return null;
    return (Array.isArray(value) ? value[0] : value)?.toString('utf8') ?? null;
  };
  const sourcePartition = header(deadLetterHeaders.sourcePartition);
  return {
    topic,
    partition,
    offset: message.offset,
    code: header(deadLetterHeaders.code) ?? 'UNKNOWN',
    reason: header(deadLetterHeaders.reason) ?? '',
    sourceTopic: header(deadLetterHeaders.sourceTopic),
    sourcePartition: sourcePartition === null ? null : Number(sourcePartition),
    sourceOffset: header(deadLetterHeaders.sourceOffset),
    consumerGroup: header(deadLetterHeaders.consumerGroup),
    failedAt: header(deadLetterHeaders.failedAt),
  };
}
