import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { FastifyInstance, FastifyRequest, FastifyServerFactory } from 'fastify';
import { Logger } from 'nestjs-pino';
import { appAuthenticator, authFailureLog } from './api-key.guard';
import { registerJsonBodyParser } from './json-body.parser';
import { serveOpenApi } from './open-api';
import type { OpenApiText } from './open-api';
import { RequestRateLimiter, registerRateLimit } from './rate-limit';
import {
  applyRequestTimeouts,
  registerEarlyRefusals,
  timeoutCheckingOptions,
} from './request-limits';
import { registerSecurityHeaders } from './security-headers';

export interface HttpAppOptions {
  readonly config: AppConfig;
  /** Largest JSON body a route takes; a larger Content-Length is refused before it is read. */
  readonly maxBodyBytes: number;
  /** The OpenAPI document's title and description, served at /docs. */
  readonly openApi: OpenApiText;
  /** Requests whose handler reads a body of any size as a stream (no size limit, no parser). */
  readonly streamed?: (request: FastifyRequest) => boolean;
  /** Content-type parsers beyond JSON (the filter's NDJSON). */
  readonly moreBodyParsers?: (fastify: FastifyInstance) => void;
  /** The rate limiter, when the caller shares it with routes answered before Fastify. */
  readonly rateLimiter?: RequestRateLimiter;
  /** Fastify's server factory, when routes are answered before Fastify (PlainJsonRoutes). */
  readonly serverFactory?: FastifyServerFactory;
}

/**
 * Every app's HTTP face, built one way: NestJS on Fastify, with the request timeouts, the rate
 * limit, security headers, the early refusals (no key or too large a body: refused before the body
 * is read), the JSON body parser, shutdown hooks and the OpenAPI document at /docs. The caller
 * listens.
 */
export async function createHttpApp(
  module: DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const { config, maxBodyBytes } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: maxBodyBytes,
      ...(options.serverFactory
        ? { serverFactory: options.serverFactory }
        : { http: timeoutCheckingOptions(config) }),
    }),
    { bufferLogs: true, bodyParser: false },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  const fastify = app.getHttpAdapter().getInstance();
  await registerRateLimit(fastify, options.rateLimiter ?? new RequestRateLimiter(config.rateLimit));
  await registerSecurityHeaders(fastify);
  registerEarlyRefusals(fastify, {
    authenticator: appAuthenticator(app, config),
    maxBodyBytes,
    ...(options.streamed ? { streamed: options.streamed } : {}),
    onAuthFailure: (failure, path) => logger.warn(authFailureLog(failure, path), 'EarlyRefusals'),
  });
  applyRequestTimeouts(app);
  registerJsonBodyParser(fastify, {
    maxBytes: maxBodyBytes,
    ...(options.streamed ? { streamed: options.streamed } : {}),
  });
  options.moreBodyParsers?.(fastify);
  app.enableShutdownHooks();
  serveOpenApi(app, options.openApi);
  return app;
}

/**
 * An app's main: builds it, listens on 127.0.0.1 at HTTP_PORT and says where; a failure to start
 * is one line on stderr and exit code 1.
 */
export function listenOrExit(name: string, build: () => Promise<INestApplication>): void {
  const start = async () => {
    const app = await build();
    const { httpPort } = app.get<AppConfig>(APP_CONFIG);
    await app.listen(httpPort, '127.0.0.1');
    app.get(Logger).log(`${name} on http://127.0.0.1:${httpPort} (OpenAPI at /docs)`);
  };
  start().catch((error: unknown) => {
    process.stderr.write(
      `${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
