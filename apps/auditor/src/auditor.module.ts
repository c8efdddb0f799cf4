import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { ApiKeyGuard, ProblemDetailsFilter } from '@consent-ledger/http';
import { KafkaModule } from '@consent-ledger/kafka';
import {
  CONSUMER_LIVENESS,
  HealthController,
  ObservabilityModule,
} from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { AuditHttpController } from './audit.http.controller';
import { AuditorService } from './auditor.service';
import { UsageLogIndexer } from './usage-log.indexer';

/** The audit API (read-only, scope audit:read) and the usage log's index. */
@Module({})
export class AuditorModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AuditorModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(),
        PersistenceModule,
        KafkaModule,
      ],
      controllers: [HealthController, AuditHttpController],
      providers: [
        AuditorService,
        UsageLogIndexer,
        { provide: CONSUMER_LIVENESS, useExisting: UsageLogIndexer },
        ApiKeyGuard,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
