import type { EachBatchPayload } from 'kafkajs';

/**
 * Whether a batch kafkajs hands over is still this consumer's to work on: not stopping, and not
 * fetched before a rebalance that moved its partition (its offsets would be another member's).
 */
export const batchIsCurrent = (payload: EachBatchPayload): boolean =>
  payload.isRunning() && !payload.isStale();

/** Marks a batch done up to its last record, commits when due and tells the group we are alive. */
export async function completeBatch(payload: EachBatchPayload): Promise<void> {
  payload.resolveOffset(payload.batch.lastOffset());
  await payload.commitOffsetsIfNecessary();
  await payload.heartbeat();
}
