import type { DeadLetter } from '@consent-ledger/kafka';
import type { CheckpointMove, PositionedEvent } from '@consent-ledger/persistence';
import type { Decoded } from './refused-events';

/** A record as kafkajs hands it over (the type a dead letter keeps). */
type KafkaMessage = DeadLetter['message'];

export interface BatchOutcome {
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: DeadLetter[];
  /** Records at or below the checkpoint (already applied before a crash or rebalance). */
  readonly skipped: number;
  /**
   * Set when the batch starts after the checkpoint (the group's committed offset is ahead of the
   * read model, e.g. after a database restore): nothing was applied; seek here and read again.
   */
  readonly seekTo?: string;
}

/** One partition's records from a fetch. */
export interface PartitionBatch {
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

/** What the fetch's partitions contribute, together. */
export interface PartitionPlan {
  readonly fresh: PositionedEvent[];
  /** The fresh events and the refused ones, in log order: the links to check. */
  readonly chain: PositionedEvent[];
  readonly refused: Set<PositionedEvent>;
  readonly moves: CheckpointMove[];
  readonly outcomes: BatchOutcome[];
}

/**
 * What each partition contributes: the records past its checkpoint, the checkpoint's move, and
 * its outcome so far (a seek when the batch starts after the checkpoint, e.g. after a database
 * restore left the group's committed offset ahead of the read model). `soughtGaps` holds the gaps
 * already sought once: if the broker still starts after them, the offsets do not exist.
 */
export function planPartitions(
  batches: readonly PartitionBatch[],
  decoded: ReadonlyArray<readonly Decoded[]>,
  nextOffsets: ReadonlyMap<number, bigint>,
  soughtGaps: Set<string>,
): PartitionPlan {
  const plan: PartitionPlan = { fresh: [], chain: [], refused: new Set(), moves: [], outcomes: [] };
  batches.forEach((batch, index) =>
    plan.outcomes.push(
      planPartition(batch, decoded[index]!, nextOffsets.get(batch.partition)!, soughtGaps, plan),
    ),
  );
  return plan;
}

/** One partition's part of the plan, added to `plan`; returns its outcome so far. */
function planPartition(
  { partition, messages }: PartitionBatch,
  decoded: readonly Decoded[],
  nextOffset: bigint,
  soughtGaps: Set<string>,
  plan: PartitionPlan,
): BatchOutcome {
  const none = { applied: 0, duplicates: 0, deadLettered: [], skipped: 0 };
  if (messages.length === 0) return none;
  const gap = `${partition}:${nextOffset}`;
  if (BigInt(messages[0]!.offset) > nextOffset && !soughtGaps.has(gap)) {
    soughtGaps.add(gap);
    return { ...none, seekTo: nextOffset.toString() };
  }
  const items = decoded.filter(
    (item) =>
      BigInt(item.kind === 'event' ? item.entry.position.offset : item.letter.message.offset) >=
      nextOffset,
  );
  plan.fresh.push(...items.flatMap((item) => (item.kind === 'event' ? [item.entry] : [])));
  for (const item of items) {
    if (item.kind === 'event') plan.chain.push(item.entry);
    else if (item.refused) {
      plan.chain.push(item.refused);
      plan.refused.add(item.refused);
    }
  }
  const lastOffset = BigInt(messages[messages.length - 1]!.offset);
  if (lastOffset + 1n > nextOffset)
    plan.moves.push({ partition, from: nextOffset, to: lastOffset + 1n });
  return {
    ...none,
    deadLettered: items.flatMap((item) => (item.kind === 'poison' ? [item.letter] : [])),
    skipped: messages.length - items.length,
  };
}
