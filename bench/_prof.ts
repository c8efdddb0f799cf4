import { loadConfigWith, loadConsentPolicy } from '@consent-ledger/config';
import { AvroSerde, createKafkaClient } from '@consent-ledger/kafka';
import { createDataSource } from '@consent-ledger/persistence';
import { Auditor } from '../apps/auditor/src/auditor';
(async () => {
  const config = loadConfigWith({ KAFKA_TOPIC_PREFIX: process.argv[2]!, KAFKA_REPLICATION_FACTOR: '1' });
  const auditor = new Auditor({ config, consentPolicy: loadConsentPolicy(config.consentPolicy), kafka: createKafkaClient(config.kafka), serde: AvroSerde.connect(config.schemaRegistry), dataSource: createDataSource(config.database) });
  const r = await auditor.replay({ asOf: new Date() });
  console.log(r.recordsRead, r.fetchMs, Math.round(r.recordsRead / r.fetchMs * 1000));
})();
