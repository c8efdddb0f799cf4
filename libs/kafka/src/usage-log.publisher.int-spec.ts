import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import {
  createTestEnvironment,
  fixtureUsageRecord,
  readTopicUntil,
  uniqueName,
  type TestEnvironment,
} from '@consent-ledger/testing';
import type { Kafka } from 'kafkajs';
import { AvroSerde } from './avro-serde';
import { deadLetterHeaders } from './dead-letter.publisher';
import { bootstrapKafka } from './kafka-bootstrap';
import { createKafkaClient } from './kafka-client.factory';
import { consentTopics } from './topic-definitions';
import { UsageLogPublisher, type UsageEntry } from './usage-log.publisher';

const entry = (subjectId: string): UsageEntry => fixtureUsageRecord(subjectId);

describe('usage log publisher against the real broker', () => {
  let environment: TestEnvironment;
  let kafka: Kafka;
  let publisher: UsageLogPublisher;
  const refused: ConsentUsageRecord[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment();
    kafka = createKafkaClient(environment.config.kafka, 'usage-log-int-spec');
    const serde = AvroSerde.connect(environment.config.schemaRegistry);
    await bootstrapKafka(environment.config, kafka, serde);
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    publisher = new UsageLogPublisher({
      kafka,
      serde,
      topic: topics.usage,
      deadLetterTopic: topics.deadLetter,
      maxPending: 1_000,
      flushIntervalMs: 5,
      onError: () => undefined,
      onRefused: (record) => refused.push(record),
    });
    await publisher.start();
  });

  afterAll(async () => {
    await publisher?.stop();
    await environment?.dispose();
  });

  it('dead-letters records too large for a key or for the broker, and writes the records around them', async () => {
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const hugeKey = entry(`h${'x'.repeat(2 * 1024 * 1024)}`);
    // A value over the broker's message.max.bytes (1 MiB by default).
    const hugeValue = { ...entry(uniqueName('v')), askedBy: 'k'.repeat(1_100_000) };
    const good = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    publisher.record([entry(good[0]!), hugeKey, hugeValue, entry(good[1]!)]);
    expect(await publisher.flush(30_000)).toBe(0);
    publisher.record([entry(good[2]!)]);
    expect(await publisher.flush(30_000)).toBe(0);

    expect(publisher.writtenCount).toBe(3);
    expect(refused.map((record) => record.subjectId)).toEqual([
      hugeKey.subjectId,
      hugeValue.subjectId,
    ]);
    const written = await readTopicUntil(kafka, topics.usage, (records) => records.length >= 3);
    expect(written.map((message) => message.key).sort()).toEqual([...good].sort());
    const letters = await readTopicUntil(
      kafka,
      topics.deadLetter,
      (records) => records.length >= 2,
    );
    const codes = letters.map((letter) => letter.headers[deadLetterHeaders.code]);
    expect(codes.sort()).toEqual(['RECORD.REFUSED_BY_BROKER', 'RECORD.TOO_LARGE']);
    const byBroker = letters.find(
      (letter) => letter.headers[deadLetterHeaders.code] === 'RECORD.REFUSED_BY_BROKER',
    );
    expect(byBroker!.headers[deadLetterHeaders.reason]).toContain('MESSAGE_TOO_LARGE');
    expect(
      letters.every((letter) => letter.headers[deadLetterHeaders.sourceTopic] === topics.usage),
    ).toBe(true);
  });
});
