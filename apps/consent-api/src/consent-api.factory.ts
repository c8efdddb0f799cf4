import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@consent-ledger/config';
import {
  ApiKeyAuthenticator,
  applyRequestTimeouts,
  authFailureLog,
  registerEarlyRefusals,
  registerSecurityHeaders,
  registerJsonBodyParser,
  registerRateLimit,
  RequestRateLimiter,
  serveOpenApi,
  timeoutCheckingOptions,
} from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';

/** Largest accepted body: a full batch of 1,000 events with room to spare. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Builds the API (for main.ts and the integration tests); the caller listens. It runs on Fastify:
 * every collection channel's event passes through it, and on our 2-core machine Express's
 * per-request work was the largest share of a withdrawal's CPU (see docs/benchmarks.md).
 */
export async function createConsentApi(config?: AppConfig): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(settings),
    new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, http: timeoutCheckingOptions(settings) }),
    { bufferLogs: true, bodyParser: false },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  await registerRateLimit(
    app.getHttpAdapter().getInstance(),
    new RequestRateLimiter(settings.rateLimit),
  );
  await registerSecurityHeaders(app.getHttpAdapter().getInstance());
  registerEarlyRefusals(app.getHttpAdapter().getInstance(), {
    authenticator: new ApiKeyAuthenticator(settings.apiKeys),
    maxBodyBytes: MAX_BODY_BYTES,
    onAuthFailure: (failure, path) => logger.warn(authFailureLog(failure, path), 'EarlyRefusals'),
  });
  applyRequestTimeouts(app);
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), { maxBytes: MAX_BODY_BYTES });
  app.enableShutdownHooks();
  serveOpenApi(app, {
    title: 'Consent Ledger API',
    description:
      'Collection of consent events, consent state and history. Errors are RFC 9457 problem+json with a stable `code`.',
    keys: 'API key with scopes (consent:write, consent:read, …)',
  });
  return app;
}
