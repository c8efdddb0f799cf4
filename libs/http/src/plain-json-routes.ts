import { createServer } from 'node:http';
import type {
  IncomingMessage,
  RequestListener,
  Server,
  ServerOptions,
  ServerResponse,
} from 'node:http';
import type { ApiScope } from '@consent-ledger/config';
import type { ApiKeyAuthenticator, Caller } from './api-key.guard';
import { AppError } from './app-error';
import { bodyError, readBodyText } from './json-body.parser';
import type { RequestRateLimiter } from './rate-limit';
import { toProblem, UNSUPPORTED_MEDIA_TYPE } from './problem-details.filter';

/** A `POST` route with a JSON body and a JSON answer, served by {@link PlainJsonRoutes}. */
export interface PlainJsonRoute {
  /** The exact path (a query string is ignored); other methods and paths go to the framework. */
  readonly path: string;
  /** Scopes the caller's API key must hold. */
  readonly scopes: readonly ApiScope[];
  /** Validates the parsed body and answers (200 with the returned value as JSON); throws AppError. */
  answer(body: unknown, caller: Caller): unknown;
}

export interface PlainJsonRoutesOptions {
  readonly authenticator: ApiKeyAuthenticator;
  /** Per-key limits, counted as the Fastify routes' are (429 with Retry-After past them). */
  readonly rateLimiter: RequestRateLimiter;
  /** Largest body accepted; past it the client gets 413 problem+json. */
  readonly maxBodyBytes: number;
  /** An error that became a 5xx answer (the framework's filter logs these; so must we). */
  readonly onServerError: (error: unknown, path: string) => void;
  /** A request refused for its key (401 or 403), as the framework's guard logs them. */
  readonly onAuthFailure: (failure: AppError, path: string) => void;
}

/** The options Fastify passes to its `serverFactory` that set the server's timeouts. */
interface FastifyTimeouts {
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
}

const JSON_MEDIA_TYPE = /^application\/(?:json|[a-z0-9.+-]+\+json)\s*(?:;|$)/i;

/**
 * Routes answered by Node's HTTP server before the framework sees the request: the decision API's
 * single decisions, thousands a second, which must answer within milliseconds at the 99th
 * percentile. Fastify and Nest leave enough per-request garbage (much of it surviving into the old
 * generation) that their collection pauses alone exceed that on our 2-core machine, while a plain
 * handler in the same process stays at the machine's floor (docs/benchmarks.md, Decisions).
 *
 * What a client sees is what the framework's pipeline gives it: the same API-key check
 * ({@link ApiKeyAuthenticator}), 413 / 400 / 415 for bodies too large, malformed or not JSON, and
 * every error as the same problem+json ({@link toProblem}). The route validates its own body
 * (parseWithSchema). Every other request goes to the framework unchanged.
 *
 * Use {@link serverFactory} as Fastify's `serverFactory`, then {@link install} the routes once the
 * services they call exist; until then their requests go to the framework too.
 */
export class PlainJsonRoutes {
  private readonly routes = new Map<string, PlainJsonRoute>();
  private options?: PlainJsonRoutesOptions;

  /** `serverOptions`: Node's own, for the server this creates (timeout checking, for one). */
  constructor(private readonly serverOptions: ServerOptions = {}) {}

  /**
   * For `new FastifyAdapter({ serverFactory })`: the server, handing other requests to Fastify,
   * with the timeouts Fastify gives the servers it creates itself (keep-alive 72 s, longer than
   * the usual load balancer's idle timeout), which it does not apply to a factory's server.
   */
  readonly serverFactory = (
    frameworkHandler: RequestListener,
    fastifyOptions: FastifyTimeouts = {},
  ): Server => {
    const server = createServer(this.serverOptions, (request, response) => {
      const route =
        request.method === 'POST' && this.options
          ? this.routes.get(pathOf(request.url))
          : undefined;
      if (route && this.options) serve(route, this.options, request, response);
      else frameworkHandler(request, response);
    });
    if (fastifyOptions.keepAliveTimeout) server.keepAliveTimeout = fastifyOptions.keepAliveTimeout;
    if (fastifyOptions.requestTimeout) server.requestTimeout = fastifyOptions.requestTimeout;
    if (fastifyOptions.connectionTimeout) server.setTimeout(fastifyOptions.connectionTimeout);
    return server;
  };

  install(routes: readonly PlainJsonRoute[], options: PlainJsonRoutesOptions): void {
    for (const route of routes) this.routes.set(route.path, route);
    this.options = options;
  }
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function serve(
  route: PlainJsonRoute,
  options: PlainJsonRoutesOptions,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  // The key is checked before a byte of the body is read: a caller without one costs no parsing.
  let caller: Caller;
  try {
    options.rateLimiter.take(request.headers, request.socket.remoteAddress ?? '');
    caller = options.authenticator.authenticate(request.headers, route.scopes);
  } catch (error) {
    if (error instanceof AppError && error.status !== 429) options.onAuthFailure(error, route.path);
    return answerProblem(error, options, route, request, response);
  }
  // A body announced larger than the limit is refused before it is read (Node discards the rest).
  if (Number(request.headers['content-length'] ?? 0) > options.maxBodyBytes) {
    response.setHeader('connection', 'close');
    return answerProblem(
      bodyError('entity.too.large', 413, options.maxBodyBytes),
      options,
      route,
      request,
      response,
    );
  }
  readBodyText(request, request.headers, options.maxBodyBytes, (readError, text) => {
    // The client went away while sending: there is nobody to answer.
    if (readError && !(readError as { status?: number }).status) return response.destroy();
    try {
      if (readError) throw readError;
      if (!JSON_MEDIA_TYPE.test(request.headers['content-type'] ?? ''))
        throw new AppError(
          UNSUPPORTED_MEDIA_TYPE.code,
          UNSUPPORTED_MEDIA_TYPE.title,
          UNSUPPORTED_MEDIA_TYPE.detail,
        );
      const body = parseJson(text!, options.maxBodyBytes);
      send(
        response,
        200,
        'application/json; charset=utf-8',
        JSON.stringify(route.answer(body, caller)),
      );
    } catch (error) {
      answerProblem(error, options, route, request, response);
    }
  });
}

function answerProblem(
  error: unknown,
  options: PlainJsonRoutesOptions,
  route: PlainJsonRoute,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const { retryAfter, ...problem } = toProblem(error);
  if (problem.status >= 500) options.onServerError(error, route.path);
  if (retryAfter) response.setHeader('Retry-After', String(retryAfter));
  send(
    response,
    problem.status,
    'application/problem+json',
    JSON.stringify({ ...problem, instance: request.url }),
  );
}

function parseJson(text: string, maxBodyBytes: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bodyError('entity.parse.failed', 400, maxBodyBytes);
  }
}

function send(response: ServerResponse, status: number, contentType: string, text: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
