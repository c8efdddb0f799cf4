import type { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka } from 'kafkajs';

/** What a consumer reports for /health and /metrics. */
export interface ConsumerLiveness {
  readonly running: boolean;
  readonly restarts: number;
  readonly lastBatchAt: Date | null;
  /** Messages between the last processed offset and the high watermark, per partition. */
  readonly lag: ReadonlyMap<number, number>;
}

export interface ResilientConsumerOptions {
  readonly kafka: Kafka;
  readonly config: ConsumerConfig;
  readonly topics: readonly string[];
  readonly run: Omit<ConsumerRunConfig, 'eachMessage'>;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
  /** First delay before a restart after a crash kafkajs will not recover from; doubles to 30 s. */
  readonly restartDelayMs?: number;
  /** Called each time the consumer (re)joins its group: partitions may have changed hands. */
  readonly onGroupJoin?: () => void;
  /**
   * After a fetch that returned records, the next fetch leaves this long after they were handled
   * (see PIPELINE_CONSUMER): records arriving meanwhile are fetched together.
   */
  readonly fetchPauseMs?: number;
}

/**
 * A kafkajs consumer that stays alive. kafkajs restarts itself after most errors, but after some
 * (or when its retries run out with `restartOnFailure` declining) it stops for good and only
 * emits CRASH. This listens for that and builds a fresh consumer after a backoff, forever.
 */
export class ResilientConsumer {
  private consumer?: Consumer;
  private stopped = false;
  private restarts = 0;
  private lastBatchAt: Date | null = null;
  private readonly lag = new Map<number, number>();

  constructor(private readonly options: ResilientConsumerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    const consumer = this.options.kafka.consumer(this.options.config);
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.log('consumer crashed', {
        error: payload.error?.message,
        restart: payload.restart,
      });
      if (!payload.restart) void this.restart();
    });
    const { onGroupJoin } = this.options;
    if (onGroupJoin) consumer.on(consumer.events.GROUP_JOIN, () => onGroupJoin());
    await consumer.connect();
    for (const topic of this.options.topics)
      await consumer.subscribe({ topic, fromBeginning: true });
    const eachBatch = this.options.run.eachBatch;
    await consumer.run({
      // Kafka offsets are a progress report for lag; the truth is stored with each effect
      // (checkpoints, sink positions), so committing once a second is enough and spares the
      // broker an OffsetCommit per batch.
      autoCommitInterval: 1_000,
      ...this.options.run,
      ...(eachBatch
        ? {
            eachBatch: async (payload) => {
              await eachBatch(payload);
              this.lastBatchAt = new Date();
              const lastOffset = Number(payload.batch.lastOffset());
              this.lag.set(
                payload.batch.partition,
                Math.max(0, Number(payload.batch.highWatermark) - 1 - lastOffset),
              );
              const pause = this.options.fetchPauseMs ?? 0;
              if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
            },
          }
        : {}),
    });
  }

  private async restart(): Promise<void> {
    let delay = this.options.restartDelayMs ?? 1_000;
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.stopped) return;
      this.restarts += 1;
      try {
        await this.consumer?.disconnect().catch(() => undefined);
        await this.start();
        this.options.log('consumer restarted', { restarts: this.restarts });
        return;
      } catch (error) {
        this.options.log('consumer restart failed', {
          error: (error as Error).message,
          nextAttemptInMs: delay * 2,
        });
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** Moves the partition's position; the batch in progress is discarded. */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer?.seek({ topic, partition, offset });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect();
  }

  liveness(): ConsumerLiveness {
    return {
      running: !this.stopped && this.consumer !== undefined,
      restarts: this.restarts,
      lastBatchAt: this.lastBatchAt,
      lag: new Map(this.lag),
    };
  }
}
