import { Partitioners } from 'kafkajs';
import type { Kafka, Message, Producer } from 'kafkajs';
import { sendingPartitionByPartition } from './partition-safe-producer';
import { BROKER_RETRY } from './retry-policies';

/**
 * A producer whose acknowledged writes are durable: idempotent (no duplicates on retry) and
 * acks from all in-sync replicas on every send. One request in flight keeps ordering per
 * partition exact even across retries. Every send goes to Kafka as one call per partition, one
 * at a time per partition, and after a failed send through a new producer id (see
 * sendingPartitionByPartition and ProducerGenerations: kafkajs loses records of a call that
 * spans leaders when one moves, and answers success for a batch the broker took for a repeat
 * when it hands a failed attempt's sequence numbers to another batch).
 */
export function createDurableProducer(kafka: Kafka, transactionalId?: string): Producer {
  const create = (): Producer =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioner: a subject lands on the same partition whichever
      // client (this API, Kafka's own tools, a JVM service) produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // An idempotent producer keeps retrying; callers that answer a person (the HTTP API) bound
      // the wait themselves and answer 503, and a retried request is deduplicated by its key.
      retry: { ...BROKER_RETRY, retries: Number.MAX_SAFE_INTEGER },
      ...(transactionalId ? { transactionalId } : {}),
    });
  // A transaction is one unit already: its sends are not split.
  if (transactionalId) return create();
  const logger = kafka.logger();
  return sendingPartitionByPartition(kafka, {
    create,
    connect: (producer) => producer.connect(),
    disconnect: (producer) => producer.disconnect(),
    onRetired: (error) =>
      logger.warn('a send failed; later sends go through a new producer (a new producer id)', {
        error: (error as Error).message,
      }),
  });
}

/** The acks setting to pass on every send from a durable producer. */
export const ACKS_ALL = -1;

/**
 * A durable producer that connects on its first send and sends with acks from all in-sync
 * replicas: for an app's occasional writes to a topic of its own (lifecycle records, webhook dead
 * letters), which need no connection until they happen.
 */
export class DurableSender {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(kafka: Kafka) {
    this.producer = createDurableProducer(kafka);
  }

  /** Resolves once Kafka holds every message. */
  async send(topic: string, messages: Message[]): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({ topic, acks: ACKS_ALL, messages });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
