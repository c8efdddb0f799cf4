import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiKeyGuard, ProblemDetailsFilter } from '@consent-ledger/http';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import {
  CONSUMER_LIVENESS,
  HealthController,
  ObservabilityModule,
} from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { ConnectorsService } from './connectors.service';
import { TrainingManifestService } from './ml-training/training-manifest.service';
import { TrainingManifestsHttpController } from './ml-training/training-manifests.http.controller';

/**
 * Suppression topics -> downstream systems (email platform, CRM, ML-training exclusion table),
 * training manifests, /health and /metrics.
 */
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
      controllers: [HealthController, TrainingManifestsHttpController],
      providers: [
        ConnectorsService,
        { provide: CONSUMER_LIVENESS, useExisting: ConnectorsService },
        TrainingManifestService,
        ApiKeyGuard,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
