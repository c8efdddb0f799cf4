import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import {
  CONSUMER_LIVENESS,
  HealthController,
  ObservabilityModule,
} from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { ProjectorService } from './projector.service';

/** consent.events.v1 -> the PostgreSQL read model, with /health and /metrics. */
@Module({})
export class ProjectorModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(),
        PersistenceModule,
        KafkaModule,
      ],
      controllers: [HealthController],
      providers: [ProjectorService, { provide: CONSUMER_LIVENESS, useExisting: ProjectorService }],
    };
  }
}
