import type { AppConfig } from '@consent-ledger/config';
import {
  ACKS_ALL,
  AvroSerde,
  createDurableProducer,
  createKafkaClient,
  valueSubject,
} from '@consent-ledger/kafka';

/**
 * Writes records straight to a topic in one batch, in order, Avro-encoded under the topic's
 * value subject: what a test does to put on the log what the API never would (a poison record, a
 * forgery, a record of another writer).
 */
export async function produceStraightToTopic(
  config: AppConfig,
  topic: string,
  records: ReadonlyArray<{ readonly key: string; readonly value: object }>,
): Promise<void> {
  const serde = AvroSerde.connect(config.schemaRegistry);
  const producer = createDurableProducer(createKafkaClient(config.kafka, 'straight-to-topic'));
  await producer.connect();
  try {
    const messages = await Promise.all(
      records.map(async ({ key, value }) => ({
        key,
        value: await serde.encode(valueSubject(topic), value),
      })),
    );
    await producer.send({ topic, acks: ACKS_ALL, messages });
  } finally {
    await producer.disconnect();
  }
}
