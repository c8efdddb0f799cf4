import type { KafkaSettings } from '@consent-ledger/config';
import { createKafkaClient } from '@consent-ledger/kafka';
import type { Kafka } from 'kafkajs';
import { DirectFetchLogReader } from './direct-fetch.reader';
import { canScanLog } from './direct-fetch/log-scanner';
import { KafkajsConsumerLogReader } from './kafkajs-consumer.reader';
import { LogReaderUnavailableError, UnknownTopicError } from './log-reader';
import type { LogReader, LogReaderKind } from './log-reader';

/**
 * The reader asked for, or the fastest the cluster allows: direct-fetch where it speaks plaintext
 * or TLS, the kafkajs consumer where it needs SASL. Refuses direct-fetch on a SASL cluster.
 */
export function createLogReader(
  settings: KafkaSettings,
  clientIdSuffix: string,
  kind?: LogReaderKind,
): LogReader {
  const chosen = kind ?? (canScanLog(settings) ? 'direct-fetch' : 'kafkajs-consumer');
  if (chosen === 'kafkajs-consumer')
    return new KafkajsConsumerLogReader(createKafkaClient(settings, clientIdSuffix));
  if (!canScanLog(settings)) throw new LogReaderUnavailableError();
  return new DirectFetchLogReader(settings, clientIdSuffix);
}

/** A partition's first offset and the offset after its last record. */
export interface PartitionRange {
  readonly low: string;
  readonly high: string;
}

/** Each partition's range now: what a read of the whole log covers. */
export async function partitionRanges(
  kafka: Kafka,
  topic: string,
): Promise<Record<number, PartitionRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new UnknownTopicError(topic);
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
  } finally {
    await admin.disconnect();
  }
}
