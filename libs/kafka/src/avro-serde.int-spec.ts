import { loadConfig } from '@consent-ledger/config';
import { uniqueName, waitFor } from '@consent-ledger/testing';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { AvroSerde } from './avro-serde';
import { ACKS_ALL, createDurableProducer } from './durable-producer';
import { createKafkaClient } from './kafka-client.factory';
import { NonRetriableError } from './processing-errors';
import { hashConsentEvent } from './consent-event.codec';
import { readSchemaVersions } from './schema-catalog';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import { fixtureEvent } from '@consent-ledger/consent-domain/consent-domain.fixtures';

const greetingV1 = JSON.stringify({
  type: 'record',
  name: 'Greeting',
  namespace: 'dev.consentledger.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

const withField = (field: object) => {
  const schema = JSON.parse(greetingV1) as { fields: object[] };
  return JSON.stringify({ ...schema, fields: [...schema.fields, field] });
};

describe('Avro serde against the real registry and broker', () => {
  const config = loadConfig();
  const serde = AvroSerde.connect(config.schemaRegistry);
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    kafka = createKafkaClient(config.kafka, 'avro-int-spec');
    producer = createDurableProducer(kafka);
    await producer.connect();
  });

  const createdTopics: string[] = [];

  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('registers a schema, produces a record to a fresh topic and consumes it back equal', async () => {
    const topic = uniqueName('test.avro');
    const subject = `${topic}-value`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    createdTopics.push(topic);
    await admin.disconnect();

    const id = await serde.registerVersions(subject, [greetingV1]);
    expect(id).toBeGreaterThan(0);
    // Registering the same version again is idempotent.
    await expect(serde.registerVersions(subject, [greetingV1])).resolves.toBe(id);

    const sent = { id: 'g-1', count: 42, at: new Date('2026-01-02T03:04:05.678Z'), note: 'hello' };
    await producer.send({
      topic,
      acks: ACKS_ALL,
      messages: [{ key: 'g-1', value: await serde.encode(subject, sent) }],
    });

    const received: unknown[] = [];
    consumer = kafka.consumer({ groupId: uniqueName('test.avro.group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(await serde.decode(message.value));
      },
    });
    await waitFor(() => received.length === 1, { timeoutMs: 30_000, description: 'the record' });
    expect(received[0]).toEqual(sent);
  });

  it('rejects an incompatible schema change and accepts a compatible one', async () => {
    const subject = `${uniqueName('test.compat')}-value`;
    await serde.registerVersions(subject, [greetingV1]);

    const incompatible = withField({ name: 'required', type: 'string' });
    await expect(serde.registerVersions(subject, [greetingV1, incompatible])).rejects.toMatchObject(
      {
        code: 'SCHEMA.INCOMPATIBLE',
        retriable: false,
      },
    );

    const compatible = withField({ name: 'channel', type: 'string', default: 'web' });
    const v2 = await serde.registerVersions(subject, [greetingV1, compatible]);
    expect(v2).toBeGreaterThan(0);
  });

  it('reads a record written with v1 through the v2 reader schema (BACKWARD)', async () => {
    const subject = `${uniqueName('test.evolve')}-value`;
    await serde.registerVersions(subject, [greetingV1]);
    const old = await serde.encode(subject, { id: 'x', count: 1, at: new Date(0), note: null });

    const v2 = withField({ name: 'channel', type: 'string', default: 'web' });
    const decoded = await serde.decode<{ channel: string; id: string }>(old, v2);
    expect(decoded).toMatchObject({ id: 'x', channel: 'web' });
  });

  it('classifies a value that is not Avro as non-retriable', async () => {
    await expect(serde.decode(Buffer.from('{"json":true}'))).rejects.toBeInstanceOf(
      NonRetriableError,
    );
    await expect(serde.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1]))).rejects.toMatchObject({
      code: 'RECORD.UNKNOWN_SCHEMA',
    });
  });

  it('gives the chain link of what the bytes hold, also for a value Avro normalises', async () => {
    const subject = `${uniqueName('test.chain')}-value`;
    const versions = readSchemaVersions('schemas', 'consent-event').map((v) => v.text);
    await serde.registerVersions(subject, versions);
    // A lone surrogate has no UTF-8 form: what the bytes hold reads back as replacement characters.
    const inMemory = fixtureEvent({
      evidence: { ipAddressHash: null, userAgent: 'agent \ud800', reference: null },
      recordedBy: 'key-1',
    });

    const encode = await serde.encoderFor<ConsentEvent>(subject);
    const { bytes, written } = encode(inMemory);
    const read = await serde.decode<ConsentEvent>(bytes, versions[versions.length - 1]);

    expect(read.evidence?.userAgent).not.toBe(inMemory.evidence?.userAgent);
    expect(read).toEqual(written);
    expect(hashConsentEvent(written)).toBe(hashConsentEvent(read));
    // Hashing the event as it was in memory gave a link no reader of the log could compute.
    expect(hashConsentEvent(inMemory)).not.toBe(hashConsentEvent(read));
  });
});
