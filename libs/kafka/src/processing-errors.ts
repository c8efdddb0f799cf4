/**
 * Errors say whether a retry can help. A consumer retries a {@link RetriableError} (with the
 * named retry policy) and dead-letters a {@link NonRetriableError} with its code and message.
 */
export abstract class ProcessingError extends Error {
  abstract readonly retriable: boolean;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class RetriableError extends ProcessingError {
  readonly retriable = true;
}

export class NonRetriableError extends ProcessingError {
  readonly retriable = false;
}
