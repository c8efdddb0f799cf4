/** How a log can be read: Fetch requests straight to the leaders, or a kafkajs consumer. */
export const logReaderKinds = ['direct-fetch', 'kafkajs-consumer'] as const;
export type LogReaderKind = (typeof logReaderKinds)[number];

/**
 * The records of one fetch of a partition, walked one at a time without an object per record:
 * after `next()` returns true, the fields describe the current record, whose value is a byte
 * range of `buffer`.
 */
export interface RecordSource {
  next(): boolean;
  readonly buffer: Buffer;
  readonly offset: number;
  readonly valueStart: number;
  /** -1 for a null value. */
  readonly valueLength: number;
  /** The record's key as text; undefined for a null key. */
  keyText(): string | undefined;
}

/** Where a partition's read starts, and the offset after its last record to read. */
export interface PartitionSpan {
  readonly from: number;
  readonly to: number;
}

export interface LogReadRequest {
  readonly topic: string;
  /** The partitions to read, each over its span. */
  readonly spans: ReadonlyMap<number, PartitionSpan>;
  /** Every partition of the topic (a consumer leaves alone those it is not to read). */
  readonly allPartitions: readonly number[];
  /**
   * One fetch's records of a partition, in log order, the next fetch perhaps already on its way.
   * A fetch may start before the span or run past it: skip those records. Resolves true once the
   * partition's span is read. The records are valid until the promise settles.
   */
  readonly onRecords: (partition: number, records: RecordSource) => Promise<boolean>;
}

/**
 * Reads spans of a topic's partitions, committed records only, and nothing else: no offsets are
 * committed, no group is left behind. Two adapters: {@link DirectFetchLogReader} and
 * {@link KafkajsConsumerLogReader}.
 */
export interface LogReader {
  readonly kind: LogReaderKind;
  /** Resolves once every span is read, with when the first fetch was sent (0: none was). */
  read(request: LogReadRequest): Promise<{ readonly firstFetchAt: number }>;
}

/** The topic to read is not on the cluster (a mistyped --topic, say). */
export class UnknownTopicError extends Error {
  readonly code = 'AUDIT.UNKNOWN_TOPIC';
  constructor(readonly topic: string) {
    super(`topic '${topic}' does not exist on the cluster`);
  }
}

/** Asked to read with Fetch requests a cluster that needs SASL, which that reader does not speak. */
export class LogReaderUnavailableError extends Error {
  readonly code = 'AUDIT.LOG_READER_UNAVAILABLE';
  constructor() {
    super(
      "the direct-fetch log reader does not speak SASL, which this cluster's settings use: read with --log-reader kafkajs-consumer",
    );
  }
}
