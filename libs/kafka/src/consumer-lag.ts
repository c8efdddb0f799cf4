import type { Admin } from 'kafkajs';

/** Records a consumer group has yet to process, over every topic it has committed offsets for. */
export interface ConsumerGroupLag {
  readonly groupId: string;
  /** Records between the group's committed offsets and the ends of its partitions. */
  readonly lag: number;
  readonly topics: readonly string[];
  /** False when the group has committed nothing yet (not started, or nothing to read). */
  readonly known: boolean;
}

/** The lag of each group, measured by the admin client (its committed offsets against the ends). */
export async function consumerGroupLags(
  admin: Admin,
  groupIds: readonly string[],
): Promise<ConsumerGroupLag[]> {
  const ends = new Map<string, Map<number, bigint>>();
  const endOf = async (topic: string) => {
    let offsets = ends.get(topic);
    if (!offsets) {
      offsets = new Map(
        (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]),
      );
      ends.set(topic, offsets);
    }
    return offsets;
  };
  return Promise.all(
    groupIds.map(async (groupId) => {
      const committed = await admin.fetchOffsets({ groupId });
      let lag = 0n;
      let known = false;
      for (const { topic, partitions } of committed) {
        const topicEnds = await endOf(topic);
        for (const { partition, offset } of partitions) {
          const end = topicEnds.get(partition) ?? 0n;
          // -1: nothing committed on this partition yet; it lags by all it holds.
          const at = BigInt(offset) < 0n ? 0n : BigInt(offset);
          if (BigInt(offset) >= 0n) known = true;
          if (end > at) lag += end - at;
        }
      }
      return {
        groupId,
        lag: Number(lag),
        topics: committed.map(({ topic }) => topic),
        known,
      };
    }),
  );
}
