import type { RetryOptions } from 'kafkajs';

/**
 * Named retry defaults, in one place. Broker calls retry with exponential backoff for about a
 * minute before an error surfaces; the registry retries briefly because it sits on the path of
 * a request that a caller is waiting for.
 */
export const BROKER_RETRY: RetryOptions = {
  initialRetryTime: 300,
  maxRetryTime: 10_000,
  retries: 10,
};

export const SCHEMA_REGISTRY_RETRY = {
  initialRetryTime: 100,
  maxRetryTime: 2_000,
  retries: 3,
} as const;

/**
 * Consumer settings shared by the pipeline's consumers (projector, connectors, usage indexer).
 * An idle consumer long-polls (the broker holds a fetch up to 500 ms and answers it as soon as a
 * record arrives, so a lone withdrawal is fetched at once); after a fetch that returned records,
 * the next one leaves PIPELINE_FETCH_PAUSE_MS after they were handled, so records arriving
 * meanwhile travel together. Measured at 1,000 withdrawals/s: answering every record at once (no
 * pause) cost 2.4x the broker's CPU and more in PostgreSQL; waiting up to 20 ms for 64 KiB on
 * every fetch, as before, kept each idle consumer fetching 50 times a second (an idle local stack
 * used 70% of a core).
 */
export const PIPELINE_CONSUMER = {
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 500,
  minBytes: 1,
  retry: { retries: 8 },
} as const;

/** Pause before a pipeline consumer's next fetch while records flow (see PIPELINE_CONSUMER). */
export const PIPELINE_FETCH_PAUSE_MS = 20;
