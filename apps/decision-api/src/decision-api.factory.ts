import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@consent-ledger/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ApiKeyAuthenticator,
  authFailureLog,
  applyRequestTimeouts,
  registerEarlyRefusals,
  registerSecurityHeaders,
  registerRateLimit,
  RequestRateLimiter,
  PlainJsonRoutes,
  registerJsonBodyParser,
  serveOpenApi,
  timeoutCheckingOptions,
} from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { DecisionApiModule } from './decision-api.module';
import { decisionRoutes } from './decisions/decision-routes';
import { DecisionsService } from './decisions/decisions.service';
import { FILTER_PATH } from './filter/records-filter.http.controller';

/** A batch of 10,000 subject ids with room to spare. POST /v1/filter streams and has no limit. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * JSON bodies up to MAX_BODY_BYTES for every route but the filter, whose body (a JSON array or
 * NDJSON, of any size) its handler reads as a stream.
 */
/** The filter reads its body, of any size, as a stream. */
const isFilterRequest = (request: FastifyRequest) => request.url.split('?')[0] === FILTER_PATH;

function registerBodyParsers(fastify: FastifyInstance): void {
  registerJsonBodyParser(fastify, { maxBytes: MAX_BODY_BYTES, streamed: isFilterRequest });
  // NDJSON only makes sense for the filter; its handler reads the stream.
  fastify.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl'],
    (_request, _payload, done) => done(null, undefined),
  );
}

export interface DecisionApiOptions {
  /**
   * Answer single decisions (and the benchmark's no-op route) before Fastify, with Node's HTTP
   * server (decision-routes.ts); `false` leaves them to Nest on Fastify (a test compares the two).
   */
  readonly plainRoutes?: boolean;
}

/**
 * Builds the decision API (for main.ts and the integration tests); the caller listens. It runs on
 * Fastify rather than Express: it is the hot read path, and on our 2-core machine Fastify leaves
 * the decision a larger share of each request's CPU; single decisions go further and are answered
 * before Fastify (see docs/benchmarks.md, Decisions).
 */
export async function createDecisionApi(
  config?: AppConfig,
  { plainRoutes = true }: DecisionApiOptions = {},
): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  const routes = new PlainJsonRoutes(timeoutCheckingOptions(settings));
  const app = await NestFactory.create<NestFastifyApplication>(
    DecisionApiModule.forRoot(settings),
    new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, serverFactory: routes.serverFactory }),
    { bufferLogs: true, bodyParser: false },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  const rateLimiter = new RequestRateLimiter(settings.rateLimit);
  await registerRateLimit(app.getHttpAdapter().getInstance(), rateLimiter);
  if (plainRoutes)
    routes.install(decisionRoutes(app.get(DecisionsService), settings.environment), {
      authenticator: new ApiKeyAuthenticator(settings.apiKeys),
      rateLimiter,
      maxBodyBytes: MAX_BODY_BYTES,
      onServerError: (error, path) =>
        logger.error({ err: error, path, msg: 'request failed' }, 'PlainJsonRoutes'),
      onAuthFailure: (failure, path) =>
        logger.warn(authFailureLog(failure, path), 'PlainJsonRoutes'),
    });
  await registerSecurityHeaders(app.getHttpAdapter().getInstance());
  registerEarlyRefusals(app.getHttpAdapter().getInstance(), {
    authenticator: new ApiKeyAuthenticator(settings.apiKeys),
    maxBodyBytes: MAX_BODY_BYTES,
    streamed: isFilterRequest,
    onAuthFailure: (failure, path) => logger.warn(authFailureLog(failure, path), 'EarlyRefusals'),
  });
  applyRequestTimeouts(app);
  registerBodyParsers(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks();
  serveOpenApi(app, {
    title: 'Consent Ledger decision API',
    description:
      'Enforcement: may this data be used for this purpose? Answers come from an in-memory view of consent.state.v1 and fail closed. Errors are RFC 9457 problem+json with a stable `code`.',
    keys: 'API key with decision:read',
  });
  return app;
}
