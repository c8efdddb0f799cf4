import type { ConsentUsageRecord } from '@consent-ledger/consent-domain';
import { deadLetterHeaders } from '@consent-ledger/kafka';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';

/** A record as a test looks at it: its key and headers as text. */
export interface ReadRecord {
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The value as text (JSON topics). */
  readonly value: string | null;
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
        value: message.value?.toString() ?? null,
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

/** A record's key, value and header values, as bytes. */
function recordParts(message: KafkaMessage): Buffer[] {
  return [message.key, message.value, ...Object.values(message.headers ?? {}).flat()].flatMap(
    (part) => (part === undefined || part === null ? [] : [Buffer.from(part)]),
  );
}

/** `topic:partition` of each partition that holds records. */
function partitionsToRead(ends: ReadonlyMap<string, ReadonlyMap<number, bigint>>): Set<string> {
  return new Set(
    [...ends].flatMap(([topic, parts]) =>
      [...parts].flatMap(([partition, end]) => (end > 0n ? [`${topic}:${partition}`] : [])),
    ),
  );
}

/** Where each partition of every topic whose name starts with `prefix` ends now. */
async function topicEnds(kafka: Kafka, prefix: string): Promise<Map<string, Map<number, bigint>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)).sort();
    const ends = new Map<string, Map<number, bigint>>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)])));
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every topic whose name starts with `prefix`, read once from its beginning to its end: for each,
 * the needles found in any record's key, value or headers (as UTF-8 bytes), and how many records
 * it holds. A scan for identifiers that must never travel in clear.
 */
export async function topicsHolding(
  kafka: Kafka,
  prefix: string,
  needles: readonly string[],
): Promise<Array<{ topic: string; records: number; found: string[] }>> {
  const ends = await topicEnds(kafka, prefix);
  const topics = [...ends.keys()];
  const pending = partitionsToRead(ends);
  const patterns = needles.map((needle) => [needle, Buffer.from(needle, 'utf8')] as const);
  const results = new Map(topics.map((topic) => [topic, { records: 0, found: new Set<string>() }]));
  const consumer = kafka.consumer({ groupId: uniqueName('identifier-scan') });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const result = results.get(topic)!;
      result.records += 1;
      const parts = recordParts(message);
      for (const [needle, bytes] of patterns)
        if (parts.some((part) => part.includes(bytes))) result.found.add(needle);
      if (BigInt(message.offset) + 1n >= ends.get(topic)!.get(partition)!)
        pending.delete(`${topic}:${partition}`);
    },
  });
  try {
    await waitFor(() => pending.size === 0, {
      timeoutMs: 60_000,
      description: () => `every topic read to its end (left: ${[...pending].join(', ')})`,
    });
  } finally {
    await consumer.disconnect();
  }
  return [...results].map(([topic, { records, found }]) => ({
    topic,
    records,
    found: [...found].sort(),
  }));
}
