import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import type { Kafka } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';

/** A record as a test looks at it: its key and headers as text. */
export interface ReadRecord {
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Reads a topic from its beginning with a consumer group of its own until `until` holds for the
 * records read so far (or the deadline passes), then returns them.
 */
export async function readTopicUntil(
  kafka: Kafka,
  topic: string,
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push({
        key: message.key?.toString() ?? null,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
      });
    },
  });
  try {
    await waitFor(() => until(records), { timeoutMs, description: `records of ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** A usage-log record of a denied decision about `subjectId`. */
export function fixtureUsageRecord(
  subjectId: string,
  overrides: Partial<ConsentUsageRecord> = {},
): ConsentUsageRecord {
  return {
    usageId: uuidv7(),
    kind: 'DECISION',
    subjectId,
    purpose: 'marketing.email',
    askedBy: 'admin',
    campaignId: null,
    jobId: null,
    manifestId: null,
    allowed: false,
    reason: 'OPT_IN_REQUIRED',
    decidingEventId: null,
    policyVersion: 'test',
    regime: 'GDPR',
    jurisdiction: null,
    logPosition: '{}',
    decidedAt: new Date(),
    ...overrides,
  };
}
