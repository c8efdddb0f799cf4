import type { DynamicModule, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { ApiKeyGuard, ProblemDetailsFilter } from '@consent-ledger/http';
import { CONSUMER_LIVENESS, HealthController } from './health.controller';
import type { ConsumerLivenessSource } from './health.controller';
import { ObservabilityModule } from './observability.module';

/** What one app adds to the parts every app shares. */
export interface AppParts {
  /** Given by tests; apps load it from the environment. */
  readonly config?: AppConfig;
  /** Infrastructure modules the app uses (PersistenceModule, KafkaModule). */
  readonly imports?: ModuleMetadata['imports'];
  readonly controllers?: readonly Type[];
  readonly providers?: readonly Provider[];
  /** The consumer whose liveness /health reports, when the app has one. */
  readonly consumer?: Type<ConsumerLivenessSource>;
  /** Hot routes left out of the per-request access log. */
  readonly unloggedRoutes?: RouteInfo[];
}

/**
 * An app's root module: its configuration (loaded once, a bad setting stops the app before it
 * listens), structured logs and /metrics, /health, the API-key guard and problem+json errors,
 * around the app's own controllers and providers.
 */
export function appModule(module: Type, parts: AppParts): DynamicModule {
  const liveness: Provider[] = parts.consumer
    ? [{ provide: CONSUMER_LIVENESS, useExisting: parts.consumer }]
    : [];
  return {
    module,
    imports: [
      ConfigModule.forRoot(parts.config),
      ObservabilityModule.forRoot({ unloggedRoutes: parts.unloggedRoutes }),
      ...(parts.imports ?? []),
    ],
    controllers: [HealthController, ...(parts.controllers ?? [])],
    providers: [
      ...(parts.providers ?? []),
      ...liveness,
      ApiKeyGuard,
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    ],
  };
}
