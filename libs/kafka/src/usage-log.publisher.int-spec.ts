import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import {
  createTestEnvironment,
  fixtureUsageRecord,
  readTopicUntil,
  uniqueName,
} from '@consent-ledger/testing';
import type { TestEnvironment } from '@consent-ledger/testing';
import type { Kafka } from 'kafkajs';
import { AvroSerde } from './avro-serde';
import { deadLetterHeaders } from './dead-letter.publisher';
import { bootstrapKafka } from './kafka-bootstrap';
import { createKafkaClient } from './kafka-client.factory';
import { latestSchemaText, valueSubject } from './schema-catalog';
import { consentTopics } from './topic-definitions';
import { UsageLogPublisher } from './usage-log.publisher';
import type { UsageEntry } from './usage-log.publisher';

const entry = (subjectId: string): UsageEntry => fixtureUsageRecord(subjectId);

describe('usage log publisher against the real broker', () => {
  let environment: TestEnvironment;
  let kafka: Kafka;
  let publisher: UsageLogPublisher;
  const refused: ConsentUsageRecord[] = [];

  /** A publisher to `topic` that collects the records it refuses into `refusedInto`. */
  const startPublisher = async (
    serde: AvroSerde,
    topic: string,
    refusedInto: ConsentUsageRecord[],
  ): Promise<UsageLogPublisher> => {
    const started = new UsageLogPublisher({
      kafka,
      serde,
      topic,
      deadLetterTopic: consentTopics(environment.config.kafka.topicPrefix).deadLetter,
      maxPending: 1_000,
      flushIntervalMs: 5,
      onError: () => undefined,
      onRefused: (record) => refusedInto.push(record),
    });
    await started.start();
    return started;
  };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    kafka = createKafkaClient(environment.config.kafka, 'usage-log-int-spec');
    const serde = AvroSerde.connect(environment.config.schemaRegistry);
    await bootstrapKafka(environment.config, kafka, serde);
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    publisher = await startPublisher(serde, topics.usage, refused);
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
    expect(codes).toEqual(['RECORD.TOO_LARGE', 'RECORD.TOO_LARGE']);
    expect(
      letters.every((letter) => letter.headers[deadLetterHeaders.sourceTopic] === topics.usage),
    ).toBe(true);
  });

  it('sends records one by one after the broker refuses a request, and keeps writing after it', async () => {
    // A topic whose broker limit (20 KB) is below the publisher's own (900 KiB): the broker refuses.
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const topic = `${topics.usage}.small`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 3,
            configEntries: [{ name: 'max.message.bytes', value: '20000' }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const serde = AvroSerde.connect(environment.config.schemaRegistry);
    await serde.registerVersions(valueSubject(topic), [
      latestSchemaText(environment.config.schemaRegistry.schemasDir, 'consent-usage'),
    ]);
    const refusedHere: ConsentUsageRecord[] = [];
    const small = await startPublisher(serde, topic, refusedHere);
    try {
      const good = Array.from({ length: 6 }, () => uniqueName('g'));
      const big = { ...entry(uniqueName('big')), askedBy: 'k'.repeat(50_000) };
      small.record([...good.slice(0, 3).map(entry), big, ...good.slice(3).map(entry)]);
      expect(await small.flush(30_000)).toBe(0);
      expect(refusedHere.map((record) => record.subjectId)).toEqual([big.subjectId]);
      // The producer still writes to every partition (its sequence numbers were not left wrong).
      const after = Array.from({ length: 6 }, () => uniqueName('after'));
      small.record(after.map(entry));
      expect(await small.flush(30_000)).toBe(0);
      const written = await readTopicUntil(kafka, topic, (records) =>
        after.every((id) => records.some((record) => record.key === id)),
      );
      expect(good.every((id) => written.some((record) => record.key === id))).toBe(true);
    } finally {
      await small.stop();
    }
  });
});
