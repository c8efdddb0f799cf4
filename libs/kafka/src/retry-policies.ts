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
