import { randomUUID } from 'node:crypto';
import type { AvroSerde, ConsentDecisionRecord } from '@consent-ledger/kafka';
// The file, not the barrel: an embedding service should not load the Nest module with it.
import { ResilientConsumer } from '@consent-ledger/kafka/resilient-consumer';
import type { Kafka } from 'kafkajs';

/** The current decision for one subject and purpose, as consent.state.v1 carries it. */
export type ConsentStateRecord = ConsentDecisionRecord;

export interface ConsentViewOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** consent.state.v1, with the deployment's prefix. */
  readonly stateTopic: string;
  /** The latest consent-decision schema text, so old records come out in today's shape. */
  readonly readerSchema?: string;
}

export type ChangeListener = (
  record: ConsentStateRecord,
  previous: ConsentStateRecord | undefined,
) => void;

/**
 * What a downstream service embeds: an always-current, in-memory view of consent.state.v1.
 * `start()` resolves once the view has read the topic up to where it ended at start; after that
 * answers come from memory (a Map lookup) and listeners hear every change.
 */
export class ConsentView {
  private readonly records = new Map<string, ConsentStateRecord>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly positions = new Map<number, number>();
  private readonly highWatermarks = new Map<number, number>();
  private consumer?: ResilientConsumer;

  constructor(private readonly options: ConsentViewOptions) {}

  /** Reads the whole compacted topic, then follows it; resolves when caught up. */
  async start(timeoutMs = 60_000): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.options.stateTopic);
    await admin.disconnect();
    const targets = new Map(ends.map((end) => [end.partition, Number(end.high)]));
    ends.forEach((end) => this.highWatermarks.set(end.partition, Number(end.high)));

    // A group of its own that never commits: every instance (and every restart after a crash)
    // reads the topic from the start; apply() ignores what it has already seen.
    this.consumer = new ResilientConsumer({
      kafka: this.options.kafka,
      config: { groupId: `consent-view-${randomUUID()}`, maxWaitTimeInMs: 250 },
      topics: [this.options.stateTopic],
      run: {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.value) {
              this.apply(
                await this.options.serde.decode<ConsentStateRecord>(
                  message.value,
                  this.options.readerSchema,
                ),
              );
            }
            this.positions.set(batch.partition, Number(message.offset) + 1);
          }
          this.highWatermarks.set(batch.partition, Number(batch.highWatermark));
        },
      },
      log: () => undefined,
    });
    await this.consumer.start();
    const deadline = Date.now() + timeoutMs;
    while ([...targets].some(([partition, end]) => (this.positions.get(partition) ?? 0) < end)) {
      if (Date.now() > deadline)
        throw new Error(
          `consent view did not catch up with ${this.options.stateTopic} within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  /** The subject's current decision for the purpose, or undefined when none was ever published. */
  decision(subjectId: string, purpose: string): ConsentStateRecord | undefined {
    return this.records.get(`${subjectId}|${purpose}`);
  }

  /**
   * Whether the purpose is allowed. With no published decision the regime's default applies,
   * which only the caller knows (`whenUnknown`; deny by default: fail closed).
   */
  isAllowed(subjectId: string, purpose: string, whenUnknown = false): boolean {
    return this.decision(subjectId, purpose)?.allowed ?? whenUnknown;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records between what the view has read and the end of the log, per partition. */
  lag(): Map<number, number> {
    return new Map(
      [...this.highWatermarks].map(([partition, end]) => [
        partition,
        Math.max(0, end - (this.positions.get(partition) ?? 0)),
      ]),
    );
  }

  private apply(record: ConsentStateRecord): void {
    const key = `${record.subjectId}|${record.purpose}`;
    const previous = this.records.get(key);
    // A re-published or older update (by source offset) never replaces a newer one.
    if (
      previous &&
      previous.sourceOffset >= record.sourceOffset &&
      previous.sourcePartition === record.sourcePartition
    )
      return;
    this.records.set(key, record);
    for (const listener of this.listeners) listener(record, previous);
  }
}
