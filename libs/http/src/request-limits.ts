import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from './api-key.guard';
import { AppError } from './app-error';
import { bodyError } from './json-body.parser';
import { toProblem } from './problem-details.filter';

/**
 * Bounds how long a client may take to send a request (HTTP_HEADERS_TIMEOUT_MS for its headers,
 * HTTP_REQUEST_TIMEOUT_MS for the whole of it): a client that trickles bytes cannot hold a
 * connection, and the memory behind it, for ever. Node answers 408 and closes the connection.
 * Answers (a long stream, a followed audience) are not bounded: only receiving the request is.
 */
export function applyRequestTimeouts(app: INestApplication): void {
  const { requestTimeouts } = app.get<AppConfig>(APP_CONFIG);
  const server = app.getHttpServer() as Server;
  server.headersTimeout = requestTimeouts.headersMs;
  server.requestTimeout = requestTimeouts.requestMs;
}

/**
 * Server options for a framework that creates its own server (Fastify's `http` option): Node
 * checks the timeouts above every `connectionsCheckingInterval` (30 s by default, longer than
 * the headers timeout itself), so it is set to half the headers timeout.
 */
export function timeoutCheckingOptions(config: AppConfig): {
  connectionsCheckingInterval: number;
} {
  return {
    connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeouts.headersMs / 2)),
  };
}

/** True when the request announces a body (a length above zero, or a chunked body). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

export interface EarlyRefusalOptions {
  readonly authenticator: ApiKeyAuthenticator;
  /** Largest body accepted; a larger Content-Length is refused before a byte is read. */
  readonly maxBodyBytes: number;
  /** Requests whose handler reads a body of any size as a stream (not refused by size). */
  readonly streamed?: (request: FastifyRequest) => boolean;
  readonly onAuthFailure: (failure: AppError, path: string) => void;
}

/**
 * Refuses, as soon as its headers arrive and before a byte of its body is read or parsed, a
 * request that carries a body without a known API key (401: every route that takes a body needs
 * one; the route's guard still checks its scopes), or whose Content-Length is over the limit
 * (413). The connection closes after the answer; Node discards what the client still sends.
 */
export function registerEarlyRefusals(
  fastify: FastifyInstance,
  options: EarlyRefusalOptions,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!hasBody(request)) return;
    let refusal: unknown;
    try {
      options.authenticator.authenticate(request.headers, []);
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > options.maxBodyBytes && !options.streamed?.(request))
        refusal = bodyError('entity.too.large', 413, options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      options.onAuthFailure(error, request.url.split('?')[0] ?? '');
      refusal = error;
    }
    if (refusal === undefined) return;
    const { retryAfter: _retryAfter, ...problem } = toProblem(refusal);
    return reply
      .code(problem.status)
      .header('content-type', 'application/problem+json')
      .header('connection', 'close')
      .send(JSON.stringify({ ...problem, instance: request.url }));
  });
}
