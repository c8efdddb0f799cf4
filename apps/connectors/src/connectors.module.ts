import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
import {
  identityVaultStoreProvider,
  operationsQueriesProvider,
  teamNotificationStoreProvider,
  PersistenceModule,
  trainingManifestStoreProvider,
} from '@consent-ledger/persistence';
import { vaultKeysProvider } from '@consent-ledger/vault';
import { ConnectorsService } from './connectors.service';
import { TeamWebhooksService } from './team-webhooks/team-webhooks.service';
import { TrainingManifestService } from './training-manifests/training-manifest.service';
import { TrainingManifestsHttpController } from './training-manifests/training-manifests.http.controller';

/**
 * Suppression topics -> downstream systems (email platform, CRM, ML-training exclusion table),
 * training manifests, /health and /metrics.
 */
@Module({})
export class ConnectorsModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return appModule(ConnectorsModule, {
      config,
      imports: [PersistenceModule, KafkaModule],
      controllers: [TrainingManifestsHttpController],
      providers: [
        ConnectorsService,
        TeamWebhooksService,
        teamNotificationStoreProvider,
        operationsQueriesProvider,
        TrainingManifestService,
        trainingManifestStoreProvider,
        // Vendors keyed by email get it from the vault at call time.
        identityVaultStoreProvider,
        vaultKeysProvider,
      ],
      consumer: ConnectorsService,
    });
  }
}
