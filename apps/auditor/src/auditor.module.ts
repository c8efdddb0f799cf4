import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
import { apiKeyStoreProvider, PersistenceModule } from '@consent-ledger/persistence';
import { AdminLogHttpController } from './admin-log/admin-log.http.controller';
import { AccessReportHttpController } from './access-report/access-report.http.controller';
import { AuditHttpController } from './http/audit.http.controller';
import { ConsentRecordsHttpController } from './export/consent-records.http.controller';
import { AuditorService } from './auditor.service';
import { UsageLogIndexer } from './usage/usage-log.indexer';

/** The audit API (read-only, scope audit:read) and the usage log's index. */
@Module({})
export class AuditorModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return appModule(AuditorModule, {
      config,
      imports: [PersistenceModule, KafkaModule],
      controllers: [
        AuditHttpController,
        AccessReportHttpController,
        ConsentRecordsHttpController,
        AdminLogHttpController,
      ],
      providers: [AuditorService, UsageLogIndexer, apiKeyStoreProvider],
      consumer: UsageLogIndexer,
    });
  }
}
