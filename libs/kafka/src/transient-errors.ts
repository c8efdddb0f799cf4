/**
 * Errors with which a cluster says "not now" rather than "no": a partition between leaders, a
 * group coordinator still loading, a broker restarting. An app that starts at such a moment (a
 * rolling restart, a broker switched under it) waits them out instead of exiting.
 */
const TRANSIENT_TYPES: ReadonlySet<string> = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'REQUEST_TIMED_OUT',
  'NOT_CONTROLLER',
  'OFFSET_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
]);

const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
]);

/** Whether the error, or one it wraps, is one a cluster gives while it settles. */
export function isTransientKafkaError(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth += 1) {
    const { type, name, originalError, cause: inner } = cause as Record<string, unknown>;
    if (typeof type === 'string' && TRANSIENT_TYPES.has(type)) return true;
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    // kafkajs wraps the error its retries gave up on (KafkaJSNumberOfRetriesExceeded) as `cause`.
    cause = originalError ?? inner;
  }
  return false;
}

export interface SettleOptions {
  /** What is being done, for the error that ends the wait. */
  readonly what: string;
  readonly timeoutMs: number;
  /** Told of each transient error before the next attempt. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** First pause between attempts; doubles up to maxPauseMs. */
  readonly firstPauseMs?: number;
  readonly maxPauseMs?: number;
}

/**
 * Runs `attempt` (which must be safe to repeat) until it succeeds, trying again after each
 * transient Kafka error until `timeoutMs` has passed; any other error, or the last transient
 * one after the deadline, is thrown.
 */
export async function retryWhileSettling<T>(
  attempt: () => Promise<T>,
  options: SettleOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let pause = options.firstPauseMs ?? 200;
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransientKafkaError(error)) throw error;
      if (Date.now() + pause > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `${options.what}: the cluster was still settling after ${options.timeoutMs} ms (${reason})`,
          { cause: error },
        );
      }
      options.onRetry?.(error, tries);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, options.maxPauseMs ?? 2_000);
    }
  }
}
