import type { EachBatchPayload, Kafka } from 'kafkajs';
import { GATHERED_PARTITIONS } from './fetch-batch-gatherer';
import { ResilientConsumer } from './resilient-consumer';
import { PIPELINE_CONSUMER, PIPELINE_FETCH_PAUSE_MS } from './retry-policies';

export interface GatheringConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** How long the group waits for a silent member before its partitions move. */
  readonly sessionTimeout: number;
  readonly topics: readonly string[];
  /** Hands the batch to a FetchBatchGatherer and completes it (see completeBatch). */
  readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
  readonly onGroupJoin?: () => void;
}

/**
 * A pipeline consumer (PIPELINE_CONSUMER settings) whose batches of one fetch are handled
 * together: every partition it is assigned is consumed at once, so a FetchBatchGatherer sees the
 * whole fetch, and offsets move only when the batch handler resolves them.
 */
export function gatheringConsumer(options: GatheringConsumerOptions): ResilientConsumer {
  return new ResilientConsumer({
    kafka: options.kafka,
    config: {
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeout,
      ...PIPELINE_CONSUMER,
    },
    topics: options.topics,
    run: {
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: GATHERED_PARTITIONS,
      eachBatch: options.eachBatch,
    },
    fetchPauseMs: PIPELINE_FETCH_PAUSE_MS,
    log: options.log,
    onGroupJoin: options.onGroupJoin,
  });
}
