import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { FastifyRequest } from 'fastify';
import {
  appAuthenticator,
  authFailureLog,
  createHttpApp,
  PlainJsonRoutes,
  RequestRateLimiter,
  timeoutCheckingOptions,
} from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { DecisionApiModule } from './decision-api.module';
import { decisionRoutes } from './decisions/decision-routes';
import { DecisionsService } from './decisions/decisions.service';
import { FILTER_PATH } from './filter/records-filter.http.controller';

/** A batch of 10,000 subject ids with room to spare. POST /v1/filter streams and has no limit. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** The filter reads its body, of any size, as a stream. */
const isFilterRequest = (request: FastifyRequest) => request.url.split('?')[0] === FILTER_PATH;

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
  const rateLimiter = new RequestRateLimiter(settings.rateLimit);
  const app = await createHttpApp(DecisionApiModule.forRoot(settings), {
    config: settings,
    maxBodyBytes: MAX_BODY_BYTES,
    streamed: isFilterRequest,
    // NDJSON only makes sense for the filter; its handler reads the stream.
    moreBodyParsers: (fastify) =>
      fastify.addContentTypeParser(
        ['application/x-ndjson', 'application/jsonl'],
        (_request, _payload, done) => done(null, undefined),
      ),
    rateLimiter,
    serverFactory: routes.serverFactory,
    openApi: {
      title: 'Consent Ledger decision API',
      description:
        'Enforcement: may this data be used for this purpose? Answers come from an in-memory view of consent.state.v1 and fail closed. Errors are RFC 9457 problem+json with a stable `code`.',
      keys: 'API key with decision:read',
    },
  });
  if (plainRoutes) {
    const logger = app.get(Logger);
    routes.install(decisionRoutes(app.get(DecisionsService), settings.environment), {
      authenticator: appAuthenticator(app, settings),
      rateLimiter,
      maxBodyBytes: MAX_BODY_BYTES,
      onServerError: (error, path) =>
        logger.error({ err: error, path, msg: 'request failed' }, 'PlainJsonRoutes'),
      onAuthFailure: (failure, path) =>
        logger.warn(authFailureLog(failure, path), 'PlainJsonRoutes'),
    });
  }
  return app;
}
