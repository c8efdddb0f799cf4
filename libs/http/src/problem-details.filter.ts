import { ArgumentsHost, BadRequestException, Catch, HttpException, Logger } from '@nestjs/common';
import type { ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError } from './app-error';
import type { FieldProblem } from './app-error';
import { statusOf } from './error-statuses';
import { isDatabaseUnavailable } from './database-unavailable';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: readonly FieldProblem[];
}

const PROBLEM_BASE = 'https://consent-ledger.dev/problems/';

/** A body that is not JSON sent to a route that reads JSON. */
export const UNSUPPORTED_MEDIA_TYPE = {
  type: `${PROBLEM_BASE}request.unsupported_media_type`,
  title: 'Unsupported media type',
  status: statusOf('REQUEST.UNSUPPORTED_MEDIA_TYPE'),
  code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  detail: 'Send the body as application/json.',
} as const;

/** body-parser's errors carry `type` and `status`. */
interface BodyParserError {
  type: string;
  status: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    'status' in error &&
    typeof (error as BodyParserError).type === 'string'
  );
}

/** How long a client should wait before retrying while the database cannot be reached. */
const DATABASE_RETRY_AFTER_SECONDS = 2;

/** The problem document (less `instance`) for an error, and its Retry-After when it has one. */
export function toProblem(
  error: unknown,
): Omit<ProblemDocument, 'instance'> & { retryAfter?: number } {
  if (error instanceof AppError) {
    return {
      type: `${PROBLEM_BASE}${error.code.toLowerCase()}`,
      title: error.title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      ...(error.errors.length ? { errors: error.errors } : {}),
      ...(error.retryAfterSeconds ? { retryAfter: error.retryAfterSeconds } : {}),
    };
  }
  if (isBodyParserError(error)) {
    if (error.type === 'entity.too.large') {
      return {
        type: `${PROBLEM_BASE}request.too_large`,
        title: 'Request body too large',
        status: statusOf('REQUEST.TOO_LARGE'),
        code: 'REQUEST.TOO_LARGE',
        detail: `The body exceeds the limit of ${error.limit ?? '?'} bytes; split it into smaller batches.`,
      };
    }
    if (error.type === 'entity.parse.failed') {
      return {
        type: `${PROBLEM_BASE}request.malformed_json`,
        title: 'Malformed JSON',
        status: statusOf('REQUEST.MALFORMED_JSON'),
        code: 'REQUEST.MALFORMED_JSON',
        detail: 'The request body is not valid JSON.',
      };
    }
    return {
      type: `${PROBLEM_BASE}request.unreadable`,
      title: 'Unreadable request body',
      status: error.status,
      code: 'REQUEST.UNREADABLE',
      detail: error.type,
    };
  }
  if (error instanceof BadRequestException) {
    // Nest maps body-parser's SyntaxError (invalid JSON) and URIError (bad %-encoding) to this.
    return {
      type: `${PROBLEM_BASE}request.malformed`,
      title: 'Malformed request',
      status: statusOf('REQUEST.MALFORMED'),
      code: 'REQUEST.MALFORMED',
      detail: `The request could not be parsed: ${error.message}`,
    };
  }
  if (error instanceof HttpException && error.getStatus() === 415) {
    // Fastify refused the request's content type (Nest hands it over as an HttpException).
    return UNSUPPORTED_MEDIA_TYPE;
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'REQUEST.NOT_FOUND' : `HTTP.${status}`;
    return {
      type: `${PROBLEM_BASE}${code.toLowerCase()}`,
      title: error.message,
      status,
      code,
      detail: error.message,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      type: `${PROBLEM_BASE}database.unavailable`,
      title: 'Database unavailable',
      status: statusOf('DATABASE.UNAVAILABLE'),
      code: 'DATABASE.UNAVAILABLE',
      detail:
        'The database cannot be reached right now (it may be restarting); retry, with the same idempotency key for a write.',
      retryAfter: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal error',
    status: statusOf('INTERNAL'),
    code: 'INTERNAL',
    detail: 'An unexpected error occurred; it has been logged.',
  };
}

/**
 * Every error leaves as RFC 9457 problem+json with a stable `code`, in one place. Written through
 * Nest's HTTP adapter; statuses come from {@link ERROR_STATUSES}.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const http = host.switchToHttp();
    const request: unknown = http.getRequest();
    const response: unknown = http.getResponse();
    const { retryAfter, ...problem } = toProblem(error);
    if (problem.status >= 500)
      this.logger.error({ err: error, code: problem.code }, problem.detail);
    // A streamed answer that failed half-way cannot become a problem document any more.
    if (adapter.isHeadersSent(response)) return;
    if (retryAfter) adapter.setHeader(response, 'Retry-After', String(retryAfter));
    adapter.setHeader(response, 'Content-Type', 'application/problem+json');
    adapter.reply(
      response,
      JSON.stringify({ ...problem, instance: adapter.getRequestUrl(request) }),
      problem.status,
    );
  }
}
