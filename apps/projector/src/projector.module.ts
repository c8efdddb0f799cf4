import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { ProjectorService } from './projector.service';

/** consent.events.v1 -> the PostgreSQL read model, with /health and /metrics. */
@Module({})
export class ProjectorModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return appModule(ProjectorModule, {
      config,
      imports: [PersistenceModule, KafkaModule],
      providers: [ProjectorService],
      consumer: ProjectorService,
    });
  }
}
