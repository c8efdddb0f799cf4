import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import { deadLetterHeaders } from '@consent-ledger/kafka';
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

/**
 * The dead-letter codes a topic holds for one key, read once at least one letter for it is there
 * (the reason a poison record was set aside).
 */
export async function deadLetterCodesFor(
  kafka: Kafka,
  deadLetterTopic: string,
  key: string,
): Promise<string[]> {
  const letters = await readTopicUntil(kafka, deadLetterTopic, (records) =>
    records.some((record) => record.key === key),
  );
  return letters
    .filter((letter) => letter.key === key)
    .map((letter) => letter.headers[deadLetterHeaders.code] ?? '');
}

/**
 * How many records of `topic`, read from its beginning to where it ends now, hold `needle` in
 * their key or value bytes (UTF-8): what a scan for personal data in clear on a topic looks at.
 */
export async function recordsHolding(kafka: Kafka, topic: string, needle: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]),
  );
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  const bytes = Buffer.from(needle, 'utf8');
  let holding = 0;
  const consumer = kafka.consumer({ groupId: uniqueName('scanner') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (message.value?.includes(bytes) || message.key?.includes(bytes)) holding += 1;
      if (BigInt(message.offset) + 1n >= ends.get(partition)!) pending.delete(partition);
    },
  });
  try {
    await waitFor(() => pending.size === 0, {
      timeoutMs: 30_000,
      description: `${topic} read to its end`,
    });
  } finally {
    await consumer.disconnect();
  }
  return holding;
}
