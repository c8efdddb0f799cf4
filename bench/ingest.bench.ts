/**
 * Ingest and projection throughput, beside Kafka's own ProducerPerformance on the same broker in
 * the same run. `npm run bench -- ingest [--single 3000] [--batches 30] [--concurrency 32]`
 */
import { parseArgs } from 'node:util';
import {
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  createKafkaClient,
  valueSubject,
} from '@consent-ledger/kafka';
import { createDataSource } from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  startAppProcess,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import {
  percentile,
  printTable,
  runKafkaTool,
  withConcurrency,
  writeResults,
} from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    single: { type: 'string', default: '3000' },
    batches: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '32' },
    'baseline-records': { type: 'string', default: '200000' },
  },
});

const API_PORT = 3901;
const baseUrl = `http://127.0.0.1:${API_PORT}`;

function event(index: number, run: string) {
  return {
    subjectId: `${run}-s${index % 5000}`,
    purpose: ['marketing.email', 'ml.training', 'ads.targeted'][index % 3],
    action: index % 4 === 0 ? 'WITHDRAW' : 'GRANT',
    jurisdiction: ['DE', 'US-CA', 'GB', 'US-VA'][index % 4],
    channel: 'WEB',
    method: 'PREFERENCE_CENTRE',
    notice: { noticeId: 'privacy', version: '3', textSha256: 'ef'.repeat(32) },
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    evidence: { ipAddressHash: 'ab'.repeat(32), userAgent: 'Mozilla/5.0 (bench)', reference: null },
    idempotencyKey: `${run}-k${index}`,
  };
}

async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function main(): Promise<void> {
  const kafkaLibs = options['kafka-libs'];
  if (!kafkaLibs) throw new Error('--kafka-libs is required (bench/run.sh passes it)');
  const environment = await createTestEnvironment({ HTTP_PORT: String(API_PORT) });
  const kafka = createKafkaClient(environment.config.kafka, 'bench');
  const serde = AvroSerde.connect(environment.config.schemaRegistry);
  await bootstrapKafka(environment.config, kafka, serde);
  const topics = consentTopics(environment.config.kafka.topicPrefix);
  const run = uniqueName('bench');
  const single = Number(options.single);
  const batches = Number(options.batches);
  const concurrency = Number(options.concurrency);

  const api = startAppProcess('apps/consent-api/src/main.ts', environment.overrides);
  const children = [api];
  try {
    await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
      timeoutMs: 60_000,
      description: 'the API',
    });
    // Warm-up: connections, JIT, registry cache.
    await withConcurrency(
      Array.from({ length: 200 }, (_, index) => index),
      16,
      (index) => post('/v1/consent-events', event(1_000_000 + index, run)),
    );

    process.stdout.write(`single endpoint: ${single} requests, ${concurrency} in flight\n`);
    const latencies: number[] = [];
    const singleStart = performance.now();
    await withConcurrency(
      Array.from({ length: single }, (_, index) => index),
      concurrency,
      async (index) => {
        const started = performance.now();
        await post('/v1/consent-events', event(index, run));
        latencies.push(performance.now() - started);
      },
    );
    const singleSeconds = (performance.now() - singleStart) / 1000;
    latencies.sort((a, b) => a - b);

    process.stdout.write(`batch endpoint: ${batches} batches of 1,000 events, 2 in flight\n`);
    const batchStart = performance.now();
    await withConcurrency(
      Array.from({ length: batches }, (_, index) => index),
      2,
      (batch) =>
        post('/v1/consent-events/batch', {
          events: Array.from({ length: 1000 }, (_, index) =>
            event(2_000_000 + batch * 1000 + index, run),
          ),
        }),
    );
    const batchSeconds = (performance.now() - batchStart) / 1000;
    api.kill('SIGTERM');

    const totalEvents = 200 + single + batches * 1000;
    process.stdout.write(`projector: applying ${totalEvents} events from a cold start\n`);
    const dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    const applied = async () =>
      Number((await dataSource.query('SELECT count(*) AS n FROM consent_event'))[0].n);
    const projector = startAppProcess('apps/projector/src/main.ts', {
      ...environment.overrides,
      HTTP_PORT: '0',
    });
    children.push(projector);
    await waitFor(async () => (await applied()) > 0, {
      timeoutMs: 120_000,
      intervalMs: 20,
      description: 'the first applied event',
    });
    const projectionStart = performance.now();
    const appliedAtStart = await applied();
    await waitFor(async () => (await applied()) >= totalEvents, {
      timeoutMs: 300_000,
      intervalMs: 50,
      description: 'all events applied',
    });
    const projectionSeconds = (performance.now() - projectionStart) / 1000;
    const projectorRate = (totalEvents - appliedAtStart) / projectionSeconds;
    await dataSource.destroy();

    const sample = await serde.encode(valueSubject(topics.events), {
      ...event(0, run),
      eventId: '01a203df-3d40-76ec-ab1f-b79c7ee6202e',
      action: 'GRANT',
      legalBasis: 'CONSENT',
      occurredAt: new Date(),
      recordedAt: new Date(),
      expiresAt: null,
      actor: { type: 'SUBJECT', id: null },
      ageBand: null,
      previousEventHash: 'ab'.repeat(32),
    });
    const baselineTopic = `${environment.config.kafka.topicPrefix}bench.producer-perf`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: baselineTopic, numPartitions: 6, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    process.stdout.write(
      `baseline: kafka ProducerPerformance, ${options['baseline-records']} records of ${sample.length} bytes, acks=all, idempotent\n`,
    );
    const perfOutput = await runKafkaTool(kafkaLibs, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic',
      baselineTopic,
      '--num-records',
      options['baseline-records']!,
      '--record-size',
      String(sample.length),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${options.bootstrap}`,
      'acks=all',
      'enable.idempotence=true',
      'linger.ms=5',
    ]);
    const summary = perfOutput.trim().split('\n').pop() ?? '';
    const baselineRate = Number(/([\d.]+) records\/sec/.exec(summary)?.[1] ?? Number.NaN);
    const baselineP99 = Number(/(\d+) ms 99th/.exec(summary)?.[1] ?? Number.NaN);
    await admin
      .deleteTopics({ topics: [baselineTopic, topics.events, topics.state, topics.deadLetter] })
      .catch(() => undefined);
    await admin.disconnect();

    const results = {
      when: new Date().toISOString(),
      machine: { cores: (await import('node:os')).cpus().length },
      eventBytes: sample.length,
      single: {
        requests: single,
        concurrency,
        eventsPerSecond: single / singleSeconds,
        latencyMs: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          max: latencies[latencies.length - 1],
        },
      },
      batch: { batches, eventsPerBatch: 1000, eventsPerSecond: (batches * 1000) / batchSeconds },
      projector: { events: totalEvents, eventsPerSecond: projectorRate },
      baseline: {
        tool: 'org.apache.kafka.tools.ProducerPerformance',
        records: Number(options['baseline-records']),
        recordsPerSecond: baselineRate,
        p99Ms: baselineP99,
        summary,
      },
    };
    printTable([
      {
        measurement: 'API single event (acks=all, per request)',
        'events/s': results.single.eventsPerSecond.toFixed(0),
        'p99 ms': results.single.latencyMs.p99.toFixed(1),
        'Kafka ProducerPerformance records/s': baselineRate.toFixed(0),
        ratio: (results.single.eventsPerSecond / baselineRate).toFixed(4),
      },
      {
        measurement: 'API batch of 1,000',
        'events/s': results.batch.eventsPerSecond.toFixed(0),
        'p99 ms': '-',
        'Kafka ProducerPerformance records/s': baselineRate.toFixed(0),
        ratio: (results.batch.eventsPerSecond / baselineRate).toFixed(4),
      },
      {
        measurement: 'projector (Postgres read model)',
        'events/s': projectorRate.toFixed(0),
        'p99 ms': '-',
        'Kafka ProducerPerformance records/s': baselineRate.toFixed(0),
        ratio: (projectorRate / baselineRate).toFixed(4),
      },
    ]);
    process.stdout.write(
      `\nKafka ProducerPerformance: ${summary}\nJSON: ${writeResults('ingest', results)}\n`,
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
