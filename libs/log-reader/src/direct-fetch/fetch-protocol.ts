/**
 * The two messages of Kafka's wire protocol a log scan needs: a Fetch request (version 4, which
 * every broker since 0.11 answers, Kafka 4 included) and its response, with the partitions'
 * records left as byte ranges of the response for {@link RecordBatchCursor} to walk. Pure.
 */

export const FETCH_API_KEY = 1;
export const FETCH_API_VERSION = 4;

/** Records of aborted transactions are left out; the broker answers up to the last stable offset. */
export const READ_COMMITTED = 1;

export interface FetchPartitionRequest {
  readonly partition: number;
  readonly offset: number;
  readonly maxBytes: number;
}

export interface FetchRequest {
  readonly topic: string;
  readonly partitions: readonly FetchPartitionRequest[];
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly abortedTransactions: readonly AbortedTransaction[];
  /** Where the partition's record batches sit in the response (the last may be cut short). */
  readonly recordsStart: number;
  readonly recordsEnd: number;
}

export interface FetchResponse {
  readonly correlationId: number;
  readonly buffer: Buffer;
  readonly partitions: readonly FetchedPartition[];
}

/** A size-prefixed Fetch v4 request (request header v1). */
export function encodeFetchRequest(
  request: FetchRequest,
  correlationId: number,
  clientId: string,
): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const topic = Buffer.from(request.topic, 'utf8');
  const size =
    2 +
    2 +
    4 +
    2 +
    client.length +
    4 +
    4 +
    4 +
    4 +
    1 +
    4 +
    2 +
    topic.length +
    4 +
    request.partitions.length * (4 + 8 + 4);
  const buffer = Buffer.alloc(4 + size);
  let at = buffer.writeInt32BE(size, 0);
  at = buffer.writeInt16BE(FETCH_API_KEY, at);
  at = buffer.writeInt16BE(FETCH_API_VERSION, at);
  at = buffer.writeInt32BE(correlationId, at);
  at = buffer.writeInt16BE(client.length, at);
  at += client.copy(buffer, at);
  at = buffer.writeInt32BE(-1, at); // replica id: a consumer
  at = buffer.writeInt32BE(request.maxWaitMs, at);
  at = buffer.writeInt32BE(request.minBytes, at);
  at = buffer.writeInt32BE(request.maxBytes, at);
  at = buffer.writeInt8(READ_COMMITTED, at);
  at = buffer.writeInt32BE(1, at);
  at = buffer.writeInt16BE(topic.length, at);
  at += topic.copy(buffer, at);
  at = buffer.writeInt32BE(request.partitions.length, at);
  for (const partition of request.partitions) {
    at = buffer.writeInt32BE(partition.partition, at);
    at = buffer.writeBigInt64BE(BigInt(partition.offset), at);
    at = buffer.writeInt32BE(partition.maxBytes, at);
  }
  return buffer;
}

/** A malformed response: the connection cannot be trusted any further. */
export class FetchProtocolError extends Error {}

/** Decodes a Fetch v4 response body (after its size prefix), leaving the records in place. */
export function decodeFetchResponse(buffer: Buffer): FetchResponse {
  let at = 0;
  const need = (bytes: number) => {
    if (at + bytes > buffer.length)
      throw new FetchProtocolError(
        `fetch response cut short at byte ${at} of ${buffer.length} (wanted ${bytes} more)`,
      );
  };
  const int16 = () => {
    need(2);
    const value = buffer.readInt16BE(at);
    at += 2;
    return value;
  };
  const int32 = () => {
    need(4);
    const value = buffer.readInt32BE(at);
    at += 4;
    return value;
  };
  const int64 = () => {
    need(8);
    const value = buffer.readBigInt64BE(at);
    at += 8;
    return value;
  };
  const string = () => {
    const length = int16();
    need(length);
    const value = buffer.toString('utf8', at, at + length);
    at += length;
    return value;
  };
  const correlationId = int32();
  int32(); // throttle time
  const partitions: FetchedPartition[] = [];
  for (let topics = int32(); topics > 0; topics -= 1) {
    const topic = string();
    for (let count = int32(); count > 0; count -= 1) {
      const partition = int32();
      const errorCode = int16();
      const highWatermark = Number(int64());
      const lastStableOffset = Number(int64());
      const abortedTransactions: AbortedTransaction[] = [];
      for (let aborted = int32(); aborted > 0; aborted -= 1) {
        const producerId = int64();
        abortedTransactions.push({ producerId, firstOffset: Number(int64()) });
      }
      const recordsLength = int32();
      const recordsStart = at;
      if (recordsLength > 0) {
        need(recordsLength);
        at += recordsLength;
      }
      partitions.push({
        topic,
        partition,
        errorCode,
        highWatermark,
        lastStableOffset,
        abortedTransactions,
        recordsStart,
        recordsEnd: at,
      });
    }
  }
  return { correlationId, buffer, partitions };
}

/** Kafka's names for the error codes a fetch can answer with (the rest are reported by number). */
export const fetchErrorNames: Readonly<Record<number, string>> = {
  1: 'OFFSET_OUT_OF_RANGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  13: 'NETWORK_EXCEPTION',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  56: 'KAFKA_STORAGE_ERROR',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  100: 'UNKNOWN_TOPIC_ID',
};

/** Errors after which the partition's leader should be looked up again and the fetch retried. */
export const retriableFetchErrors: ReadonlySet<number> = new Set([3, 5, 6, 13, 56, 74, 75, 100]);
