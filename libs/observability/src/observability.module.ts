import { Controller, Get, Header, Module, type DynamicModule } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { collectDefaultMetrics, register } from 'prom-client';
import { LOG_REDACTED_PATHS } from './log-redaction';

collectDefaultMetrics();

/** Prometheus exposition of every metric registered in the process. */
@ApiExcludeController()
@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
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
