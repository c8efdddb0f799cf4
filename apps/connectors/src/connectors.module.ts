import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import {
  CONSUMER_LIVENESS,
  HealthController,
  ObservabilityModule,
} from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { ConnectorsService } from './connectors.service';

/** Suppression topics -> downstream vendors (email platform, CRM), with /health and /metrics. */
@Module({})
export class ConnectorsModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConnectorsModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(),
        PersistenceModule,
        KafkaModule,
      ],
      controllers: [HealthController],
      providers: [
        ConnectorsService,
        { provide: CONSUMER_LIVENESS, useExisting: ConnectorsService },
      ],
    };
  }
}
