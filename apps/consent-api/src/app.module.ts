import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { appModule } from '@consent-ledger/observability';
import {
  apiKeyStoreProvider,
  chainHeadsStoreProvider,
  erasureStoreProvider,
  noticeRegistryProvider,
  identityVaultStoreProvider,
  lifecycleStoreProvider,
  oneTimeCodeStoreProvider,
  subjectHistoryProvider,
  PersistenceModule,
  writePathStoreProvider,
} from '@consent-ledger/persistence';
import { ConsentEventPublisher } from './record-consent/consent-event.publisher';
import { ConsentEventWriter } from './record-consent/consent-event.writer';
import { RecordConsentService } from './record-consent/record-consent.service';
import { GlobalPrivacyControlService } from './record-consent/global-privacy-control.service';
import { ConsentExpirySchedule } from './expiry/consent-expiry.schedule';
import { UnacknowledgedEventsSweeper } from './record-consent/unacknowledged-events.sweeper';
import { ChainCheckpointer } from './chain-checkpoints/chain-checkpointer';
import { ChainCheckpointsHttpController } from './chain-checkpoints/chain-checkpoints.http.controller';
import { RecordConsentHttpController } from './record-consent/record-consent.http.controller';
import { vaultKeysProvider } from '@consent-ledger/vault';
import { IdentityVaultService } from './subject-identifiers/identity-vault.service';
import { SubjectIdentifiersHttpController } from './subject-identifiers/subject-identifiers.http.controller';
import { VaultKeysHttpController } from './subject-identifiers/vault-keys.http.controller';
import { PurposesHttpController } from './purposes/purposes.http.controller';
import { NoticeRegistrationService } from './notices/notice-registration.service';
import { NoticesHttpController } from './notices/notices.http.controller';
import { SubjectConsentsHttpController } from './subject-consents/subject-consents.http.controller';
import { SubjectConsentsService } from './subject-consents/subject-consents.service';
import { SubjectErasureHttpController } from './subject-erasure/subject-erasure.http.controller';
import { SubjectErasureService } from './subject-erasure/subject-erasure.service';
import { ErasureKeySweeper } from './subject-erasure/erasure-key.sweeper';
import { ApiKeysHttpController } from './api-keys/api-keys.http.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { PreferenceLinksHttpController } from './preference-links/preference-links.http.controller';
import { OneTimeCodesHttpController } from './one-time-codes/one-time-codes.http.controller';
import { OneTimeCodesService } from './one-time-codes/one-time-codes.service';
import { LifecycleMessageSender } from './lifecycle-messages/lifecycle-message.sender';
import { LifecycleRecords } from './lifecycle-messages/lifecycle-records';
import { ReconsentCampaignsService } from './reconsent/reconsent-campaigns.service';
import { ReconsentGraceSchedule } from './reconsent/reconsent-grace.schedule';
import { ReconsentHttpController } from './reconsent/reconsent.http.controller';
import {
  linkSigningKeyringProvider,
  PreferenceLinksService,
} from './preference-links/preference-links.service';

const controllers = [
  RecordConsentHttpController,
  SubjectConsentsHttpController,
  PurposesHttpController,
  NoticesHttpController,
  ChainCheckpointsHttpController,
  SubjectIdentifiersHttpController,
  VaultKeysHttpController,
  SubjectErasureHttpController,
  ApiKeysHttpController,
  PreferenceLinksHttpController,
  OneTimeCodesHttpController,
  ReconsentHttpController,
];

const providers = [
  writePathStoreProvider,
  chainHeadsStoreProvider,
  noticeRegistryProvider,
  NoticeRegistrationService,
  subjectHistoryProvider,
  SubjectConsentsService,
  identityVaultStoreProvider,
  vaultKeysProvider,
  IdentityVaultService,
  erasureStoreProvider,
  SubjectErasureService,
  ErasureKeySweeper,
  apiKeyStoreProvider,
  ApiKeysService,
  linkSigningKeyringProvider,
  PreferenceLinksService,
  oneTimeCodeStoreProvider,
  OneTimeCodesService,
  ConsentEventPublisher,
  ConsentEventWriter,
  RecordConsentService,
  GlobalPrivacyControlService,
  ConsentExpirySchedule,
  UnacknowledgedEventsSweeper,
  ChainCheckpointer,
  lifecycleStoreProvider,
  LifecycleRecords,
  LifecycleMessageSender,
  ReconsentCampaignsService,
  ReconsentGraceSchedule,
];

/** The collection and query API. `config` is given by tests; apps load it from the environment. */
@Module({})
export class AppModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return appModule(AppModule, {
      config,
      imports: [PersistenceModule, KafkaModule],
      controllers,
      providers,
    });
  }
}
