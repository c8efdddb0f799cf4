import { Module } from '@nestjs/common';
import { ConfigModule } from '@consent-ledger/config';
import { KafkaModule } from '@consent-ledger/kafka';
import { ObservabilityModule } from '@consent-ledger/observability';
import { PersistenceModule } from '@consent-ledger/persistence';

/** The collection and query API. */
@Module({
  imports: [ConfigModule, ObservabilityModule, PersistenceModule, KafkaModule],
})
export class AppModule {}
