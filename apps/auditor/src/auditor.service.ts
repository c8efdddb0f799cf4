import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { AvroSerde, KAFKA_CLIENT } from '@consent-ledger/kafka';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { Auditor } from './auditor';

/** The {@link Auditor} with the app's connections, for the HTTP API. */
@Injectable()
export class AuditorService extends Auditor {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CONSENT_POLICY) consentPolicy: LoadedConsentPolicy,
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
    dataSource: DataSource,
  ) {
    super({ config, consentPolicy, kafka, serde, dataSource });
  }
}
