import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import {
  AvroSerde,
  consentTopics,
  foldReaderSchema,
  latestSchemaText,
} from '@consent-ledger/kafka';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';

export interface AuditorDependencies {
  readonly config: AppConfig;
  readonly consentPolicy: LoadedConsentPolicy;
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly dataSource: DataSource;
}

/** What every audit reads with: its dependencies, and the schemas and topic worked out once. */
export interface AuditContext extends AuditorDependencies {
  /** Today's consent event schema: every past event is read in its shape. */
  readonly readerSchema: string;
  /** The same without the fields the fold never reads: what a replay decodes. */
  readonly foldSchema: string;
  readonly eventsTopic: string;
}

export function createAuditContext(deps: AuditorDependencies): AuditContext {
  const readerSchema = latestSchemaText(deps.config.schemaRegistry.schemasDir, 'consent-event');
  return {
    ...deps,
    readerSchema,
    foldSchema: foldReaderSchema(readerSchema),
    eventsTopic: consentTopics(deps.config.kafka.topicPrefix).events,
  };
}
