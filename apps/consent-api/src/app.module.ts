import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, type AppConfig } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { HealthController, ObservabilityModule } from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';
import { ApiKeyGuard, ProblemDetailsFilter } from '@consent-ledger/http';
import { ConsentEventPublisher } from './consent-events/consent-event.publisher';
import { ConsentEventWriter } from './consent-events/consent-event.writer';
import { GlobalPrivacyControlService } from './consent-events/global-privacy-control.service';
import { ConsentExpirySweeper } from './expiry/consent-expiry.sweeper';
import { UnacknowledgedEventsSweeper } from './consent-events/unacknowledged-events.sweeper';
import { ChainCheckpointer } from './chain-checkpoints/chain-checkpointer';
import { RecordConsentEventHttpController } from './consent-events/record-consent-event.http.controller';
import { PurposesHttpController } from './purposes/purposes.http.controller';
import { NoticesHttpController } from './notices/notices.http.controller';
import { SubjectConsentsHttpController } from './subjects/subject-consents.http.controller';

/** The collection and query API. `config` is given by tests; apps load it from the environment. */
@Module({})
export class AppModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(),
        PersistenceModule,
        KafkaModule,
      ],
      controllers: [
        HealthController,
        RecordConsentEventHttpController,
        SubjectConsentsHttpController,
        PurposesHttpController,
        NoticesHttpController,
      ],
      providers: [
        ConsentEventPublisher,
        ConsentEventWriter,
        GlobalPrivacyControlService,
        ConsentExpirySweeper,
        UnacknowledgedEventsSweeper,
        ChainCheckpointer,
        ApiKeyGuard,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
