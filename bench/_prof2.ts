import { loadConfigWith, loadConsentPolicy } from '@consent-ledger/config';
import { AvroSerde, createKafkaClient, foldReaderSchema, latestSchemaText } from '@consent-ledger/kafka';
import { evolve, initialState, type SubjectConsentState, type FoldableEvent } from '@consent-ledger/consent-domain';
import { readEventLog } from '../apps/auditor/src/event-log.reader';
(async () => {
  const prefix = process.argv[2]!; const mode = process.argv[3]!;
  const config = loadConfigWith({ KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1' });
  const states = new Map<string, SubjectConsentState>();
  const r = await readEventLog<FoldableEvent>({ kafka: createKafkaClient(config.kafka), serde: AvroSerde.connect(config.schemaRegistry), topic: prefix + 'consent.events.v1',
    readerSchema: foldReaderSchema(latestSchemaText('schemas', 'consent-event')),
    onEvents: (events) => { if (mode === 'fold') for (const { event } of events) states.set(event.subjectId, evolve(states.get(event.subjectId) ?? initialState(), event)); } });
  console.log(mode, r.records, r.fetchMs, Math.round(r.records / r.fetchMs * 1000));
})();
