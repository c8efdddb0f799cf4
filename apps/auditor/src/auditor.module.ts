import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { AccessReportHttpController } from './access-report/access-report.http.controller';
import { AuditHttpController } from './http/audit.http.controller';
import { AuditorService } from './auditor.service';
import { UsageLogIndexer } from './usage/usage-log.indexer';

/** The audit API (read-only, scope audit:read) and the usage log's index. */
@Module({})
export class AuditorModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return appModule(AuditorModule, {
      config,
      imports: [PersistenceModule, KafkaModule],
      controllers: [AuditHttpController, AccessReportHttpController],
      providers: [AuditorService, UsageLogIndexer],
      consumer: UsageLogIndexer,
    });
  }
}
