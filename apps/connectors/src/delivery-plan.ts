import type { SuppressionUpdate } from './suppression-update';

/** What a sink needs to know of its vendor to group updates into calls. */
export interface CallShape {
  /** Most updates one call may carry. */
  readonly maxUpdatesPerCall: number;
  /** Updates with the same key may share a call. */
  callKey(update: SuppressionUpdate): string;
}

/**
 * Plans a batch's vendor calls, in rounds: round k holds the k-th update still to deliver of
 * every subject and purpose, so one subject's updates reach the vendor in log order (a round
 * starts after the previous one finished). Within a round, updates with the same call key share
 * calls of at most `maxUpdatesPerCall`. Updates at or below what was delivered (`delivered`, by
 * `subjectId|purpose`) are left out and returned as skipped. Pure.
 */
export function planDeliveryRounds<T extends { readonly update: SuppressionUpdate }>(
  items: readonly T[],
  delivered: ReadonlyMap<string, bigint>,
  shape: CallShape,
): { readonly rounds: T[][][]; readonly skipped: number } {
  const bySubject = new Map<string, T[]>();
  let skipped = 0;
  for (const item of items) {
    const key = `${item.update.subjectId}|${item.update.purpose}`;
    const already = delivered.get(key);
    if (already !== undefined && already >= BigInt(item.update.sourceOffset)) {
      skipped += 1;
      continue;
    }
    const queue = bySubject.get(key);
    if (queue) queue.push(item);
    else bySubject.set(key, [item]);
  }
  const queues = [...bySubject.values()];
  const rounds: T[][][] = [];
  for (let round = 0; ; round += 1) {
    const inRound = queues.flatMap((queue) => (queue[round] ? [queue[round]] : []));
    if (inRound.length === 0) break;
    const byCallKey = new Map<string, T[]>();
    for (const item of inRound) {
      const key = shape.callKey(item.update);
      const group = byCallKey.get(key);
      if (group) group.push(item);
      else byCallKey.set(key, [item]);
    }
    rounds.push(
      [...byCallKey.values()].flatMap((group) =>
        Array.from({ length: Math.ceil(group.length / shape.maxUpdatesPerCall) }, (_, index) =>
          group.slice(index * shape.maxUpdatesPerCall, (index + 1) * shape.maxUpdatesPerCall),
        ),
      ),
    );
  }
  return { rounds, skipped };
}
