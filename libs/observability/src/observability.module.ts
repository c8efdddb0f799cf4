import type { IncomingHttpHeaders } from 'node:http';
import { Controller, Get, Header, Headers, Inject, Module, Optional } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiKeyAuthenticator, urlWithoutDirectIdentifiers } from '@consent-ledger/http';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { ApiExcludeController } from '@nestjs/swagger';
import { API_KEY_SOURCE, APP_CONFIG } from '@consent-ledger/config';
import type { ApiKeySource, AppConfig } from '@consent-ledger/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { collectDefaultMetrics, register } from 'prom-client';
import { LOG_REDACTED_PATHS } from './log-redaction';

collectDefaultMetrics();

/** Prometheus exposition of every metric registered in the process. */
@ApiExcludeController()
@Controller()
export class MetricsController {
  private readonly authenticator: ApiKeyAuthenticator;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(API_KEY_SOURCE) keySource?: ApiKeySource,
  ) {
    this.authenticator = new ApiKeyAuthenticator(config.apiKeys, keySource);
  }

  /** Open to any scraper unless OPERATIONS_ENDPOINTS_REQUIRE_KEY asks for the operations scope. */
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(@Headers() headers: IncomingHttpHeaders): Promise<string> {
    if (this.config.operationsEndpointsRequireKey)
      this.authenticator.authenticate(headers, ['operations']);
    return register.metrics();
  }
}

/**
 * Structured JSON logs (pino, one line per event, request ids) and `/metrics`. Each app also
 * declares {@link HealthController} among its own controllers, so that /health can see the
 * app's consumer ({@link CONSUMER_LIVENESS}) when it has one.
 */
@Module({})
export class ObservabilityModule {
  /**
   * `unloggedRoutes`: hot routes left out of the per-request access log (the decision API's
   * thousands of decisions a second); their errors are still logged.
   */
  static forRoot({
    unloggedRoutes = [],
  }: { readonly unloggedRoutes?: RouteInfo[] } = {}): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...(unloggedRoutes.length > 0 ? { exclude: unloggedRoutes } : {}),
            pinoHttp: {
              level: config.logLevel,
              autoLogging: {
                ignore: (request) => ['/health', '/metrics'].includes(request.url ?? ''),
              },
              redact: LOG_REDACTED_PATHS,
              serializers: {
                // A refused request's URL may hold the email address it was refused for.
                req: (request: { url?: string; query?: unknown }) => {
                  if (request.url) request.url = urlWithoutDirectIdentifiers(request.url);
                  delete request.query;
                  return request;
                },
              },
            },
          }),
        }),
        TerminusModule,
      ],
      controllers: [MetricsController],
      exports: [TerminusModule],
    };
  }
}
