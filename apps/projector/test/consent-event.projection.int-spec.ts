import { loadConsentPolicy } from '@consent-ledger/config';
import { foldEvents } from '@consent-ledger/consent-domain';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  downstreamTopic,
  createDurableProducer,
  createKafkaClient,
  latestSchemaText,
  valueSubject,
} from '@consent-ledger/kafka';
import {
  ConsentReadModelRepository,
  createDataSource,
  migrateDatabase,
} from '@consent-ledger/persistence';
import { createTestEnvironment, linkedEvents, uniqueName } from '@consent-ledger/testing';
import type { TestEnvironment } from '@consent-ledger/testing';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { fixtureEvent } from '@consent-ledger/consent-domain/consent-domain.fixtures';
import { CONSENT_PROJECTION, ConsentEventProjection } from '../src/consent-event.projection';
import type { PartitionBatch } from '../src/consent-event.projection';

const SUBJECTS = 40;
const EVENTS = 400;
const PARTITIONS = 3;
const CHUNK = 25;

/** A grant or (every third) a withdrawal, a minute after the one before. */
function event(index: number, subjectId: string): ConsentEvent {
  const withdrawal = index % 3 === 0;
  return fixtureEvent({
    subjectId,
    purpose: index % 2 === 0 ? 'marketing.email' : 'ml.training',
    occurredAt: new Date(Date.UTC(2026, 0, 1) + index * 60_000),
    ...(withdrawal ? { action: 'WITHDRAW', method: 'PREFERENCE_CENTRE', notice: null } : {}),
  });
}

/**
 * Two consumers that both believe they own the same partitions (a rebalance in progress) apply
 * the same batches at the same time. The checkpoints are read without a lock and moved only from
 * where they were read, so each record must still be applied exactly once.
 */
describe('consent projection with two owners of the same partitions', () => {
  let environment: TestEnvironment;
  let dataSource: DataSource;
  let producer: Producer;
  let serde: AvroSerde;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    const kafka = createKafkaClient(environment.config.kafka, 'projection-int-spec');
    serde = AvroSerde.connect(environment.config.schemaRegistry);
    await bootstrapKafka(environment.config, kafka, serde);
    producer = createDurableProducer(kafka);
    await producer.connect();
    dataSource = createDataSource(environment.config.database);
    await migrateDatabase(dataSource);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await environment?.dispose();
  });

  const projection = () => {
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    return new ConsentEventProjection(dataSource, serde, producer, {
      consentPolicy: loadConsentPolicy(environment.config.consentPolicy),
      stateTopic: topics.state,
      suppressionTopic: (purpose: string) => downstreamTopic(topics, purpose),
      readerSchema: latestSchemaText(environment.config.schemaRegistry.schemasDir, 'consent-event'),
      eventsTopic: topics.events,
      deadLetterTopic: topics.deadLetter,
      consumerGroup: uniqueName('projector'),
    });
  };

  it('applies each record once and moves each checkpoint once', async () => {
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const subjects = Array.from({ length: SUBJECTS }, () => uniqueName('s'));
    const events = linkedEvents(
      Array.from({ length: EVENTS }, (_, index) => event(index, subjects[index % SUBJECTS]!)),
    );
    // Each subject on one partition, offsets in order, as the log would hold them.
    const logs: KafkaMessage[][] = Array.from({ length: PARTITIONS }, () => []);
    for (const [index, consentEvent] of events.entries()) {
      const log = logs[(index % SUBJECTS) % PARTITIONS]!;
      log.push({
        key: Buffer.from(consentEvent.subjectId),
        value: await serde.encode(valueSubject(topics.events), consentEvent),
        offset: String(log.length),
        timestamp: String(consentEvent.recordedAt.getTime()),
        attributes: 0,
        headers: {},
      } as KafkaMessage);
    }
    const [first, second] = [projection(), projection()];
    let applied = 0;
    let skipped = 0;
    for (let start = 0; start < EVENTS / PARTITIONS + CHUNK; start += CHUNK) {
      const batches: PartitionBatch[] = logs
        .map((log, partition) => ({ partition, messages: log.slice(start, start + CHUNK) }))
        .filter((batch) => batch.messages.length > 0);
      if (batches.length === 0) break;
      const outcomes = await Promise.all([
        first.applyBatches(batches),
        second.applyBatches(batches),
      ]);
      for (const outcome of outcomes.flat()) {
        applied += outcome.applied;
        skipped += outcome.skipped;
        expect(outcome.seekTo).toBeUndefined();
      }
    }

    expect(applied).toBe(EVENTS);
    expect(skipped).toBe(EVENTS);
    const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM consent_event');
    expect(n).toBe(EVENTS);
    const checkpoints: Array<{ partition: number; next_offset: string }> = await dataSource.query(
      `SELECT partition, next_offset FROM projection_checkpoint WHERE projection = $1 ORDER BY partition`,
      [CONSENT_PROJECTION],
    );
    expect(checkpoints.map((row) => Number(row.next_offset))).toEqual(
      logs.map((log) => log.length),
    );
    const [outbox] = await dataSource.query(
      `SELECT count(*)::int AS messages,
              count(DISTINCT (topic, message_key, payload->>'purpose', payload->>'causeEventId'))::int AS distinct_messages
         FROM consent_outbox`,
    );
    expect(outbox.messages).toBeGreaterThan(0);
    expect(outbox.messages).toBe(outbox.distinct_messages);
    const states = await new ConsentReadModelRepository().loadStates(dataSource.manager, subjects);
    for (const subjectId of subjects) {
      const expected = foldEvents(events.filter((candidate) => candidate.subjectId === subjectId));
      expect({ subjectId, state: states.get(subjectId) }).toEqual({ subjectId, state: expected });
    }
  });
});
