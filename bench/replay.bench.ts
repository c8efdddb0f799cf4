/**
 * Replay throughput: the auditor CLI (compiled, in its own process, as auditors run it) folds
 * 1,000,000 consent events from the log to a date, beside
 * Kafka's own ConsumerPerformance reading the same topic in the same run. The comparison is
 * fetch rate to fetch rate: ConsumerPerformance's fetch.nMsg.sec leaves out its group's start-up
 * rebalance (and so includes its first fetch's round trip), and ours is measured from the first
 * Fetch request sent to the folded result (the start-up before it is reported beside it).
 * `npm run bench -- replay [--events 1000000] [--subjects 100000] [--rounds 5] [--keep]`
 */
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '@consent-ledger/config';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  createKafkaClient,
  hashConsentEvent,
  valueSubject,
} from '@consent-ledger/kafka';
import { createTestEnvironment, uniqueName } from '@consent-ledger/testing';
import { Partitioners } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { printTable, runKafkaTool, writeResults } from './bench-support';

const run = promisify(execFile);

/** What `auditor replay --stats` writes. */
interface ReplayStats {
  readonly records: number;
  readonly eventsApplied: number;
  readonly subjects: number;
  readonly readers: number;
  readonly logReader: string;
  readonly unreadable: number;
  readonly fetchMs: number;
  readonly totalMs: number;
}

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    events: { type: 'string', default: '1000000' },
    subjects: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    /** Keep the loaded topic (and its test database) for inspection instead of deleting them. */
    keep: { type: 'boolean', default: false },
  },
});

const purposes = [
  'marketing.email',
  'marketing.sms',
  'ads.targeted',
  'ml.training',
  'analytics.behavioral',
];
const jurisdictions = ['DE', 'FR', 'GB', 'US-CA', 'US-VA'];
const YEAR_MS = 365 * 86_400_000;

/** A year of history: `count` events over `subjects` subjects, chained as the API chains them. */
function* history(count: number, subjects: number, start: number): Generator<ConsentEvent> {
  const heads = new Map<number, string>();
  for (let i = 0; i < count; i += 1) {
    const subject = i % subjects;
    const at = new Date(start + Math.floor((i / count) * YEAR_MS));
    const event: ConsentEvent = {
      eventId: uuidv7(),
      subjectId: `bench-${subject}`,
      purpose: purposes[(i * 7) % purposes.length]!,
      action: i % 3 === 2 ? 'WITHDRAW' : 'GRANT',
      jurisdiction: jurisdictions[subject % jurisdictions.length]!,
      legalBasis: 'CONSENT',
      channel: 'WEB',
      method: i % 3 === 2 ? 'PREFERENCE_CENTRE' : 'BANNER',
      notice: { noticeId: 'privacy', version: '3', textSha256: 'ab'.repeat(32) },
      occurredAt: at,
      recordedAt: at,
      expiresAt: null,
      actor: { type: 'SUBJECT', id: null },
      evidence: {
        ipAddressHash: 'cd'.repeat(32),
        userAgent: 'Mozilla/5.0 (bench)',
        reference: null,
      },
      ageBand: null,
      idempotencyKey: `bench-${i}`,
      previousEventHash: heads.get(subject) ?? null,
    };
    heads.set(subject, hashConsentEvent(event));
    yield event;
  }
}

async function main(): Promise<void> {
  const kafkaLibs = options['kafka-libs'];
  if (!kafkaLibs) throw new Error('--kafka-libs is required (bench/run.sh passes it)');
  const count = Number(options.events);
  const subjects = Number(options.subjects);
  const rounds = Number(options.rounds);

  const environment = await createTestEnvironment();
  const { config } = environment;
  const kafka = createKafkaClient(config.kafka, 'bench-replay');
  const serde = AvroSerde.connect(config.schemaRegistry);
  await bootstrapKafka(config, kafka, serde);
  const topic = consentTopics(config.kafka.topicPrefix).events;
  try {
    // Load the log: Avro in the wire format, keyed by subject, as the API writes it.
    process.stderr.write(`writing ${count} events over ${subjects} subjects to ${topic}…\n`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const loadStarted = Date.now();
    const start = Date.UTC(2025, 10, 22);
    let batch: Array<{ key: string; value: Buffer }> = [];
    let written = 0;
    for (const event of history(count, subjects, start)) {
      batch.push({ key: event.subjectId, value: await serde.encode(valueSubject(topic), event) });
      if (batch.length === 2_000) {
        await producer.send({ topic, acks: 1, messages: batch });
        written += batch.length;
        batch = [];
        if (written % 100_000 === 0) process.stderr.write(`  ${written}\n`);
      }
    }
    if (batch.length > 0) await producer.send({ topic, acks: 1, messages: batch });
    await producer.disconnect();
    process.stderr.write(`loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s\n`);

    const asOf = new Date(start + YEAR_MS);
    /** The auditor CLI as auditors run it: compiled, its own process, output discarded. */
    const replayWithCli = async (logReader: string): Promise<ReplayStats> => {
      const statsFile = join(tmpdir(), `${uniqueName('replay-stats')}.json`);
      await run(
        process.execPath,
        [
          '--max-semi-space-size=128',
          '--min-semi-space-size=128',
          '-r',
          'tsconfig-paths/register',
          'dist/apps/auditor/src/cli.js',
          'replay',
          '--as-of',
          asOf.toISOString(),
          '--purpose',
          'marketing.email',
          '--format',
          'ndjson',
          '--output',
          '/dev/null',
          '--no-progress',
          '--log-reader',
          logReader,
          '--stats',
          statsFile,
        ],
        {
          env: childEnvironment({ ...environment.overrides, TS_NODE_BASEURL: './dist' }),
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      return JSON.parse(readFileSync(statsFile, 'utf8')) as ReplayStats;
    };
    /**
     * The client's own ceiling: kafkajs reading the same records with nothing done to them (no
     * decode, no fold), one consumer in this process. Shows how much of the gap is the client.
     */
    const kafkajsAlone = async (): Promise<{ records: number; fetchMs: number }> => {
      const consumer = kafka.consumer({
        groupId: uniqueName('bench-kafkajs-alone'),
        maxBytesPerPartition: 16 * 1024 * 1024,
        maxBytes: 64 * 1024 * 1024,
        maxWaitTimeInMs: 100,
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let records = 0;
      let first = 0;
      consumer.on(consumer.events.FETCH_START, () => {
        if (first === 0) first = Date.now();
      });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 6,
          eachBatch: async ({ batch }) => {
            records += batch.messages.length;
            if (records >= count) resolve();
          },
        });
      });
      await done;
      const fetchMs = Date.now() - first;
      await consumer.disconnect();
      return { records, fetchMs };
    };
    const rows: Array<Record<string, string | number>> = [];
    const measurements: Array<{ round: number; ratio: number } & Record<string, unknown>> = [];
    for (let round = 1; round <= rounds; round += 1) {
      const perf = await runKafkaTool(kafkaLibs, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        options.bootstrap!,
        '--topic',
        topic,
        '--messages',
        String(count),
        '--group',
        uniqueName('bench-consumer-perf'),
        '--timeout',
        '120000',
      ]);
      const [header, values] = perf
        .trim()
        .split('\n')
        .filter((line) => line.includes(','))
        .slice(-2)
        .map((line) => line.split(',').map((cell) => cell.trim()));
      const stats = Object.fromEntries(
        header!.map((name, index) => [name, Number(values![index])]),
      );
      const rawRate = stats['fetch.nMsg.sec']!;

      // The replay runs right after the baseline: this machine's speed drifts within minutes.
      const replay = await replayWithCli('direct-fetch');
      const throughKafkajs = await replayWithCli('kafkajs-consumer');
      const alone = await kafkajsAlone();
      const aloneRate = alone.records / (alone.fetchMs / 1000);
      const fetchRate = replay.records / (replay.fetchMs / 1000);
      const replayRow = (stats: ReplayStats, label: string) => {
        const rate = stats.records / (stats.fetchMs / 1000);
        return {
          round,
          reader: `auditor replay, ${label} (decode + fold, ${stats.readers} thread${stats.readers > 1 ? 's' : ''})`,
          records: stats.records,
          'records/s (fetch)': Math.round(rate),
          'records/s (incl. start-up)': Math.round(stats.records / (stats.totalMs / 1000)),
          'start-up ms': stats.totalMs - stats.fetchMs,
          'vs raw': `${Math.round((rate / rawRate) * 100)}%`,
        };
      };
      rows.push(
        {
          round,
          reader: 'Kafka ConsumerPerformance',
          records: stats['data.consumed.in.nMsg']!,
          'records/s (fetch)': Math.round(rawRate),
          'records/s (incl. start-up)': Math.round(stats['nMsg.sec']!),
          'start-up ms': stats['rebalance.time.ms']!,
          'vs raw': '100%',
        },
        {
          round,
          reader: 'kafkajs alone (no decode, no fold)',
          records: alone.records,
          'records/s (fetch)': Math.round(aloneRate),
          'records/s (incl. start-up)': '',
          'start-up ms': '',
          'vs raw': `${Math.round((aloneRate / rawRate) * 100)}%`,
        },
        replayRow(replay, 'direct fetch (default)'),
        replayRow(throughKafkajs, 'kafkajs consumer'),
      );
      measurements.push({
        round,
        consumerPerformance: stats,
        kafkajsAlone: { ...alone, recordsPerSecond: aloneRate },
        replay: {
          ...replay,
          fetchRecordsPerSecond: fetchRate,
          totalRecordsPerSecond: replay.records / (replay.totalMs / 1000),
        },
        replayThroughKafkajsConsumer: {
          ...throughKafkajs,
          fetchRecordsPerSecond: throughKafkajs.records / (throughKafkajs.fetchMs / 1000),
        },
        ratio: fetchRate / rawRate,
      });
      for (const stats of [replay, throughKafkajs])
        if (stats.eventsApplied !== count)
          throw new Error(
            `replay (${stats.logReader}) applied ${stats.eventsApplied} events, expected ${count}`,
          );
    }
    process.stdout.write(
      `\nreplay of ${count} consent events (${subjects} subjects, one year) to ${asOf.toISOString()}, topic ${topic} (6 partitions)\n`,
    );
    printTable(rows);
    const ratios = measurements.map((m) => m.ratio).sort((a, b) => a - b);
    // The lower middle of an even count: the median never rounds in the replay's favour.
    const median = ratios[Math.floor((ratios.length - 1) / 2)]!;
    const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
    process.stdout.write(
      `\nauditor replay (direct fetch) / ConsumerPerformance fetch.nMsg.sec: median ${percent(median)} over ${ratios.length} rounds (${percent(ratios[0]!)}–${percent(ratios[ratios.length - 1]!)})\n`,
    );
    const file = writeResults('replay', {
      events: count,
      subjects,
      asOf: asOf.toISOString(),
      baseline: 'org.apache.kafka.tools.ConsumerPerformance fetch.nMsg.sec (excludes rebalance)',
      measurements,
      medianRatio: median,
    });
    process.stdout.write(`\nJSON: ${file}\n`);
  } finally {
    if (options.keep) process.stderr.write(`kept ${topic}\n`);
    else await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
