import { statusOf } from './error-statuses';
import type { ErrorCode } from './error-statuses';

/** One problem with one field of a request (RFC 9457 extension member `errors`). */
export interface FieldProblem {
  /** JSON pointer-like path: `purpose`, `events[3].notice.version`. */
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/**
 * An error with a stable code, mapped to problem+json by {@link ProblemDetailsFilter}.
 * `retryAfterSeconds` becomes a Retry-After header.
 */
export class AppError extends Error {
  /** From the one table of statuses, {@link ERROR_STATUSES}. */
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly FieldProblem[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = statusOf(code);
  }
}

export const validationFailed = (errors: readonly FieldProblem[]) =>
  new AppError(
    'REQUEST.INVALID',
    'Request is invalid',
    `${errors.length} field(s) failed validation`,
    errors,
  );

export const consentRulesBroken = (errors: readonly FieldProblem[]) =>
  new AppError(
    'CONSENT.RULES_BROKEN',
    'Event breaks consent rules',
    errors.map((error) => error.message).join('; '),
    errors,
  );
