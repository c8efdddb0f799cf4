import type { KafkaMessage, Producer } from 'kafkajs';
import { ACKS_ALL } from './durable-producer';
import type { ProcessingError } from './processing-errors';

/** Where a dead-lettered record came from and why it could not be processed. */
export interface DeadLetter {
  readonly message: KafkaMessage;
  readonly sourceTopic: string;
  readonly partition: number;
  readonly error: ProcessingError;
}

/** The headers a dead-lettered record carries; the original key and value are kept as they were. */
export const deadLetterHeaders = {
  code: 'dlq.error.code',
  reason: 'dlq.error.message',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  consumerGroup: 'dlq.consumer.group',
  failedAt: 'dlq.failed.at',
} as const;

/**
 * Sends a description of a record that could not be written at all (it may be what the broker
 * refused, so it cannot travel itself), with the same reason headers as any dead letter.
 */
export async function publishUnwritable(
  producer: Producer,
  topic: string,
  description: { readonly sourceTopic: string; readonly value: unknown },
  error: ProcessingError,
): Promise<void> {
  await producer.send({
    topic,
    acks: ACKS_ALL,
    messages: [
      {
        key: null,
        value: JSON.stringify(description.value),
        headers: {
          [deadLetterHeaders.code]: error.code,
          [deadLetterHeaders.reason]: error.message.slice(0, 1000),
          [deadLetterHeaders.sourceTopic]: description.sourceTopic,
          [deadLetterHeaders.failedAt]: new Date().toISOString(),
        },
      },
    ],
  });
}

/**
 * Sends records that cannot be processed to the dead-letter topic with the reason, and resolves
 * only when the broker has them (acks from all in-sync replicas): the caller may then move past.
 */
export async function publishDeadLetters(
  producer: Producer,
  topic: string,
  consumerGroup: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const failedAt = new Date().toISOString();
  await producer.send({
    topic,
    acks: ACKS_ALL,
    messages: letters.map(({ message, sourceTopic, partition, error }) => ({
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [deadLetterHeaders.code]: error.code,
        [deadLetterHeaders.reason]: error.message,
        [deadLetterHeaders.sourceTopic]: sourceTopic,
        [deadLetterHeaders.sourcePartition]: String(partition),
        [deadLetterHeaders.sourceOffset]: message.offset,
        [deadLetterHeaders.consumerGroup]: consumerGroup,
        [deadLetterHeaders.failedAt]: failedAt,
      },
    })),
  });
}
