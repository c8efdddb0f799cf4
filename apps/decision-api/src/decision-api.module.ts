import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { ApiKeyGuard, ProblemDetailsFilter } from '@consent-ledger/http';
import { KafkaModule } from '@consent-ledger/kafka';
import {
  CONSUMER_LIVENESS,
  HealthController,
  ObservabilityModule,
} from '@consent-ledger/observability';
import { AudienceHttpController } from './audience/audience.http.controller';
import { DecisionViewService } from './decision-view.service';
import { UsageLogService } from './usage-log.service';
import { DecisionsHttpController } from './decisions/decisions.http.controller';
import { DecisionsService } from './decisions/decisions.service';
import { RecordsFilterHttpController } from './filter/records-filter.http.controller';

/**
 * Enforcement: decisions, filter-or-anonymise and audiences, all answered from an in-memory view
 * of consent.state.v1. No database: the view is rebuilt from the compacted topic at boot.
 */
@Module({})
export class DecisionApiModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: DecisionApiModule,
      imports: [
        ConfigModule.forRoot(config),
        // Single decisions arrive by the thousand a second: no access-log line each (they are
        // answered before Fastify, decision-routes.ts; this covers an app built without that).
        ObservabilityModule.forRoot({
          unloggedRoutes: [{ path: 'v1/decisions', method: RequestMethod.POST }],
        }),
        KafkaModule,
      ],
      controllers: [
        HealthController,
        DecisionsHttpController,
        RecordsFilterHttpController,
        AudienceHttpController,
      ],
      providers: [
        DecisionViewService,
        DecisionsService,
        UsageLogService,
        { provide: CONSUMER_LIVENESS, useExisting: DecisionViewService },
        ApiKeyGuard,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
