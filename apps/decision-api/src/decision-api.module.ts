import { Module, RequestMethod } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
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
    return appModule(DecisionApiModule, {
      config,
      imports: [KafkaModule],
      controllers: [DecisionsHttpController, RecordsFilterHttpController, AudienceHttpController],
      providers: [DecisionViewService, DecisionsService, UsageLogService],
      consumer: DecisionViewService,
      // Single decisions arrive by the thousand a second: no access-log line each (they are
      // answered before Fastify, decision-routes.ts; this covers an app built without that).
      unloggedRoutes: [{ path: 'v1/decisions', method: RequestMethod.POST }],
    });
  }
}
