import { Partitioners } from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import { sendingPartitionByPartition } from './partition-safe-producer';
import { BROKER_RETRY } from './retry-policies';

/**
 * A producer whose acknowledged writes are durable: idempotent (no duplicates on retry) and
 * acks from all in-sync replicas on every send. One request in flight keeps ordering per
 * partition exact even across retries. Every send goes to Kafka as one call per partition (see
 * sendingPartitionByPartition: kafkajs loses records of a call that spans leaders when one moves).
 */
export function createDurableProducer(kafka: Kafka, transactionalId?: string): Producer {
  const producer = kafka.producer({
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
  return transactionalId ? producer : sendingPartitionByPartition(producer, kafka);
}

/** The acks setting to pass on every send from a durable producer. */
export const ACKS_ALL = -1;
