/**
 * The auditor's choices and refusals that its CLI needs before it loads anything heavy (the CLI
 * starts a replay's worker threads first, and loads the database and Kafka libraries after).
 */

export const timeAxes = ['recorded', 'occurred'] as const;
export type TimeAxis = (typeof timeAxes)[number];

export const logReaderKinds = ['direct-fetch', 'kafkajs-consumer'] as const;
export type LogReaderKind = (typeof logReaderKinds)[number];

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
