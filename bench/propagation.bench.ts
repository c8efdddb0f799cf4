/**
 * Withdrawal-to-suppression latency: an open-loop load of withdrawals through the API at a fixed
 * rate, measured from the API's 202 to the email platform acknowledging the update, beside
 * Kafka's own EndToEndLatency on the same broker in the same run.
 * `npm run bench -- propagation [--rate 1000] [--seconds 60]`
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AvroSerde, bootstrapKafka, consentTopics, createKafkaClient } from '@consent-ledger/kafka';
import { createDataSource } from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  downstreamSystemsKeyedByEmail,
  seedVaultEmails,
  startAppProcess,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { AppProcess } from '@consent-ledger/testing';
import {
  percentile,
  postJson,
  printTable,
  benchEmail,
  startTimedEmailPlatform,
  waitForDrain,
  runKafkaTool,
  withdrawal,
  writeResults,
} from './bench-support';
import { CpuMeter, pidsNamed, pidsWithArgument } from './cpu-meter';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    'baseline-messages': { type: 'string', default: '20000' },
    /**
     * Withdrawals per request: 1 posts each to /v1/consent-events; more posts them together to
     * /v1/consent-events/batch, as a channel that forwards its unsubscribes in batches does (an
     * email platform's event webhook). The rate stays withdrawals per second.
     */
    batch: { type: 'string', default: '1' },
    /**
     * Seconds of the same load before the measured window, reported apart: the apps start fresh
     * for the benchmark, and their first seconds under load (JIT compilation) are not what a
     * service that has been running sees.
     */
    'warmup-seconds': { type: 'string', default: '10' },
    /**
     * What the email platform knows people by: `external-id` (the subject id), or `email`, each
     * subject's address put into the identity vault beforehand and opened by the connector at
     * call time (downstream-systems.yaml `identifiedBy: email`).
     */
    'identified-by': { type: 'string', default: 'external-id' },
    /** Write a V8 CPU profile of each app, covering the load window, to this folder. */
    profile: { type: 'string' },
  },
});

const API_PORT = 3911;
/** Subjects the warm-up withdraws, one at a time until one goes all the way through. */
const WARM_UP_SUBJECTS = 1_000;
const baseUrl = `http://127.0.0.1:${API_PORT}`;

async function main(): Promise<void> {
  const kafkaLibs = options['kafka-libs'];
  if (!kafkaLibs) throw new Error('--kafka-libs is required (bench/run.sh passes it)');
  const rate = Number(options.rate);
  const total = rate * Number(options.seconds);
  const batchSize = Number(options.batch);

  const byEmail = options['identified-by'] === 'email';
  if (!byEmail && options['identified-by'] !== 'external-id')
    throw new Error('--identified-by is external-id or email');
  const { vendor, applied } = await startTimedEmailPlatform();
  const environment = await createTestEnvironment({
    HTTP_PORT: String(API_PORT),
    EMAIL_PLATFORM_URL: vendor.url,
    CONNECTORS: 'email-platform',
    ...(byEmail ? { DOWNSTREAM_SYSTEMS_FILE: downstreamSystemsKeyedByEmail() } : {}),
  });
  const kafka = createKafkaClient(environment.config.kafka, 'bench');
  await bootstrapKafka(
    environment.config,
    kafka,
    AvroSerde.connect(environment.config.schemaRegistry),
  );
  const profileDir = options.profile ? resolve(options.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const start = (label: string, entry: string, overrides: Record<string, string>) =>
    startAppProcess(
      entry,
      {
        ...environment.overrides,
        ...overrides,
        ...(profileDir
          ? {
              NODE_OPTIONS: `--import ${resolve('bench/cpu-profile.mjs')}`,
              CPU_PROFILE_DIR: profileDir,
              CPU_PROFILE_LABEL: label,
            }
          : {}),
      },
      { compiled: true },
    );
  const apps: Record<string, AppProcess> = {
    'consent-api': start('consent-api', 'apps/consent-api/src/main.ts', {}),
    projector: start('projector', 'apps/projector/src/main.ts', { HTTP_PORT: '0' }),
    connectors: start('connectors', 'apps/connectors/src/main.ts', { HTTP_PORT: '0' }),
  };
  const cpu = new CpuMeter({
    ...Object.fromEntries(
      Object.entries(apps).map(([name, app]) => [name, () => [app.child.pid!]]),
    ),
    'kafka broker': () => pidsWithArgument('consent-ledger.stack=kafka'),
    postgresql: () => pidsNamed('postgres'),
    'load generator + fake vendor (this process)': () => [process.pid],
  });
  const toggleProfiles = () => {
    if (profileDir) Object.values(apps).forEach((app) => app.child.kill('SIGWINCH'));
  };
  try {
    await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
      timeoutMs: 60_000,
      description: 'the API',
    });
    const run = uniqueName('w');
    const warmupTotal =
      Math.ceil((rate * Number(options['warmup-seconds'])) / batchSize) * batchSize;
    const warmUpIds = Array.from({ length: WARM_UP_SUBJECTS }, (_, n) => `${run}-warm-${n}`);
    if (byEmail) {
      const subjects = Array.from({ length: warmupTotal + total }, (_, i) => `${run}-${i}`);
      await seedVaultEmails(environment.config, [...warmUpIds, ...subjects], benchEmail);
      process.stdout.write(`${warmUpIds.length + subjects.length} addresses put into the vault\n`);
    }
    const post = (subjectIds: readonly string[]) =>
      subjectIds.length === 1
        ? postJson(
            `${baseUrl}/v1/consent-events`,
            { authorization: `Bearer ${TEST_ADMIN_KEY}` },
            JSON.stringify(withdrawal(subjectIds[0]!)),
          )
        : postJson(
            `${baseUrl}/v1/consent-events/batch`,
            { authorization: `Bearer ${TEST_ADMIN_KEY}` },
            JSON.stringify({ events: subjectIds.map(withdrawal) }),
          );
    // Warm-up until a withdrawal goes all the way through: every consumer has joined.
    let warmUps = 0;
    await waitFor(
      async () => {
        const subjectId = warmUpIds[warmUps++ % WARM_UP_SUBJECTS]!;
        await post([subjectId]);
        await waitFor(() => applied.has(subjectId), { timeoutMs: 5_000, description: 'warm-up' });
        return true;
      },
      { timeoutMs: 120_000, description: 'the pipeline to warm up' },
    );

    process.stdout.write(
      `open loop: ${warmupTotal} withdrawals of warm-up, then ${total} measured, at ${rate}/s through the API, ${batchSize === 1 ? 'one per request' : `${batchSize} per request (${rate / batchSize} requests/s)`}\n`,
    );
    const accepted = new Map<string, number>();
    const warmupAccepted = new Map<string, number>();
    /** When each accepted withdrawal's request was sent: with a queue at the API, the 202 is late. */
    const sent = new Map<string, number>();
    let refused = 0;
    const requestLatencies: number[] = [];
    const loadStart = performance.now();
    let start = loadStart;
    let loadStartedAt = new Date();
    const inFlight: Array<Promise<void>> = [];
    for (let index = 0; index < warmupTotal + total; index += batchSize) {
      const measured = index >= warmupTotal;
      if (index === warmupTotal) {
        toggleProfiles();
        cpu.start();
        start = performance.now();
        loadStartedAt = new Date();
      }
      const due = loadStart + (index * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const subjectIds = Array.from(
        { length: Math.min(batchSize, warmupTotal + total - index) },
        (_, offset) => `${run}-${index + offset}`,
      );
      const sentAt = performance.now();
      inFlight.push(
        post(subjectIds).then(
          (status) => {
            const now = performance.now();
            if (measured) requestLatencies.push(now - sentAt);
            if (status === 202)
              subjectIds.forEach((subjectId) => {
                (measured ? accepted : warmupAccepted).set(subjectId, now);
                if (measured) sent.set(subjectId, sentAt);
              });
            else refused += subjectIds.length;
          },
          () => void (refused += subjectIds.length),
        ),
      );
    }
    await Promise.all(inFlight);
    const offeredSeconds = (performance.now() - start) / 1000;
    // Drain: wait until every accepted withdrawal arrived, or nothing new arrived for 30 s (then
    // what is missing counts as lost).
    await waitForDrain([...accepted.keys(), ...warmupAccepted.keys()], applied, {
      timeoutMs: 900_000,
      description: 'the pipeline to drain',
    });
    const cpuUsed = cpu.stop();
    toggleProfiles();

    // Where the time goes: accepted -> projector transaction, and -> connector recorded delivery.
    const stages = await (async () => {
      const dataSource = createDataSource(environment.config.database);
      await dataSource.initialize();
      try {
        const [row]: Array<
          Record<'projected_p50' | 'projected_p99' | 'delivered_p50' | 'delivered_p99', number>
        > = await dataSource.query(
          `
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms_projected) AS projected_p50,
                 percentile_cont(0.99) WITHIN GROUP (ORDER BY ms_projected) AS projected_p99,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY ms_delivered) AS delivered_p50,
                 percentile_cont(0.99) WITHIN GROUP (ORDER BY ms_delivered) AS delivered_p99
            FROM (SELECT extract(epoch FROM e.applied_at - e.recorded_at) * 1000 AS ms_projected,
                         extract(epoch FROM p.delivered_at - e.recorded_at) * 1000 AS ms_delivered
                    FROM consent_event e JOIN sink_position p ON p.cause_event_id = e.event_id
                   WHERE e.recorded_at >= $1) t`,
          [loadStartedAt],
        );
        const windows: Array<{ projected_p99: number; delivered_p99: number }> =
          await dataSource.query(
            `SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ms_projected) AS projected_p99,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY ms_delivered) AS delivered_p99
               FROM (SELECT floor(extract(epoch FROM e.recorded_at - $1::timestamptz) / $2) AS slot,
                            extract(epoch FROM e.applied_at - e.recorded_at) * 1000 AS ms_projected,
                            extract(epoch FROM p.delivered_at - e.recorded_at) * 1000 AS ms_delivered
                       FROM consent_event e JOIN sink_position p ON p.cause_event_id = e.event_id
                      WHERE e.recorded_at >= $1) t
              GROUP BY slot ORDER BY slot`,
            [loadStartedAt, TIMELINE_WINDOW_SECONDS],
          );
        return {
          ...row!,
          projectedP99Timeline: windows.map((window) => Number(window.projected_p99)),
          deliveredP99Timeline: windows.map((window) => Number(window.delivered_p99)),
        };
      } finally {
        await dataSource.destroy();
      }
    })();
    const deadLettersAdmin = kafka.admin();
    await deadLettersAdmin.connect();
    const deadLettered = (
      await deadLettersAdmin.fetchTopicOffsets(
        consentTopics(environment.config.kafka.topicPrefix).sinkDeadLetter,
      )
    ).reduce((sum, partition) => sum + Number(partition.high), 0);
    await deadLettersAdmin.disconnect();
    const latencies = [...accepted]
      .flatMap(([subjectId, at]) => (applied.has(subjectId) ? [applied.get(subjectId)! - at] : []))
      .sort((a, b) => a - b);
    const lost = accepted.size - latencies.length;
    const warmupLatencies = [...warmupAccepted]
      .flatMap(([subjectId, at]) => (applied.has(subjectId) ? [applied.get(subjectId)! - at] : []))
      .sort((a, b) => a - b);
    const warmup = {
      seconds: Number(options['warmup-seconds']),
      offered: warmupTotal,
      accepted: warmupAccepted.size,
      lost: warmupAccepted.size - warmupLatencies.length,
      p50: percentile(warmupLatencies, 50),
      p99: percentile(warmupLatencies, 99),
      max: warmupLatencies[warmupLatencies.length - 1] ?? Number.NaN,
    };
    const timeline = latencyTimeline(accepted, applied, start);
    const fromSent = [...sent]
      .flatMap(([subjectId, at]) => (applied.has(subjectId) ? [applied.get(subjectId)! - at] : []))
      .sort((a, b) => a - b);
    const sentToApplied = {
      p50: percentile(fromSent, 50),
      p95: percentile(fromSent, 95),
      p99: percentile(fromSent, 99),
      max: fromSent[fromSent.length - 1] ?? Number.NaN,
    };
    requestLatencies.sort((a, b) => a - b);

    process.stdout.write(
      `baseline: kafka EndToEndLatency, ${options['baseline-messages']} messages, acks=all\n`,
    );
    const baselineTopic = `${environment.config.kafka.topicPrefix}bench.e2e`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: baselineTopic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const e2e = await runKafkaTool(kafkaLibs, 'org.apache.kafka.tools.EndToEndLatency', [
      options.bootstrap!,
      baselineTopic,
      options['baseline-messages']!,
      'all',
      '400',
    ]);
    const baseline = {
      averageMs: Number(/Avg latency: ([\d.]+)/.exec(e2e)?.[1] ?? Number.NaN),
      p50Ms: Number(/50th = ([\d.]+)/.exec(e2e)?.[1] ?? Number.NaN),
      p99Ms: Number(/99th = ([\d.]+)/.exec(e2e)?.[1] ?? Number.NaN),
      p999Ms: Number(/99\.9th = ([\d.]+)/.exec(e2e)?.[1] ?? Number.NaN),
    };

    const ours = {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
    };
    const results = {
      when: new Date().toISOString(),
      machine: { cores: cpus().length },
      load: {
        identifiedBy: options['identified-by'],
        rate,
        withdrawalsPerRequest: batchSize,
        seconds: Number(options.seconds),
        offered: total,
        achievedRate: total / offeredSeconds,
        accepted: accepted.size,
        refused,
        lost,
        deadLettered,
      },
      apiRequestMs: {
        p50: percentile(requestLatencies, 50),
        p99: percentile(requestLatencies, 99),
        max: requestLatencies[requestLatencies.length - 1],
      },
      acceptedToAppliedMs: ours,
      /** The warm-up before the measured window (same rate), accepted -> applied. */
      warmup,
      /** accepted -> applied per window of the load (by acceptance time): where the tail happened. */
      timeline,
      sentToAppliedMs: sentToApplied,
      baseline: {
        tool: 'org.apache.kafka.tools.EndToEndLatency',
        messages: Number(options['baseline-messages']),
        ...baseline,
        output: e2e.trim().split('\n').slice(-3),
      },
      ratioP99: ours.p99 / baseline.p99Ms,
      stagesMsFromRecordedAt: stages,
      cpu: {
        ...cpuUsed,
        msPerAcceptedWithdrawal: Object.fromEntries(
          Object.entries(cpuUsed.groups).map(([name, seconds]) => [
            name,
            (1000 * seconds) / Math.max(1, accepted.size),
          ]),
        ),
      },
    };
    printTable([
      {
        measurement: 'withdrawal accepted -> email platform applied',
        p50: ours.p50.toFixed(1),
        p95: ours.p95.toFixed(1),
        p99: ours.p99.toFixed(1),
        max: ours.max.toFixed(1),
      },
      {
        measurement: 'request sent -> email platform applied',
        p50: sentToApplied.p50.toFixed(1),
        p95: sentToApplied.p95.toFixed(1),
        p99: sentToApplied.p99.toFixed(1),
        max: sentToApplied.max.toFixed(1),
      },
      {
        measurement: 'Kafka EndToEndLatency (produce acks=all -> consume)',
        p50: baseline.p50Ms.toFixed(1),
        p95: '-',
        p99: baseline.p99Ms.toFixed(1),
        max: '-',
      },
    ]);
    process.stdout.write(
      `\nms; offered ${total} at ${rate}/s (achieved ${results.load.achievedRate.toFixed(0)}/s), accepted ${accepted.size}, refused ${refused}, not delivered ${lost} (dead-lettered by the sink: ${deadLettered}); ` +
        `API request p50 ${results.apiRequestMs.p50.toFixed(1)} ms, p99 ${results.apiRequestMs.p99.toFixed(1)} ms; p99 ratio to Kafka ${results.ratioP99.toFixed(1)}x\n` +
        `warm-up (${warmup.seconds} s before the measured window, same rate): accepted -> applied p50 ${warmup.p50.toFixed(1)} p99 ${warmup.p99.toFixed(1)} max ${warmup.max.toFixed(1)}, lost ${warmup.lost} of ${warmup.accepted}\n` +
        `p99 per ${TIMELINE_WINDOW_SECONDS} s of load (ms): accepted -> applied ${timeline.map((window) => window.p99.toFixed(0)).join(' ')}; ` +
        `recorded -> projector ${stages.projectedP99Timeline.map((ms) => ms.toFixed(0)).join(' ')}; ` +
        `recorded -> connector recorded ${stages.deliveredP99Timeline.map((ms) => ms.toFixed(0)).join(' ')}\n` +
        `stages from recordedAt (ms): projector transaction p50 ${Number(stages.projected_p50).toFixed(1)} p99 ${Number(stages.projected_p99).toFixed(1)}; ` +
        `connector recorded delivery p50 ${Number(stages.delivered_p50).toFixed(1)} p99 ${Number(stages.delivered_p99).toFixed(1)}\n` +
        `CPU from the first withdrawal to the drain (${cpuUsed.wallSeconds.toFixed(1)} s; machine busy ${cpuUsed.machineBusySeconds.toFixed(1)} CPU-s of ${(cpuUsed.wallSeconds * cpus().length).toFixed(1)}), ms per accepted withdrawal: ` +
        Object.entries(results.cpu.msPerAcceptedWithdrawal)
          .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
          .join(', ') +
        `\n` +
        (profileDir
          ? `CPU profiles: ${profileDir} (npx ts-node bench/profile-summary.ts ${profileDir}/*.cpuprofile)\n`
          : '') +
        `JSON: ${writeResults('propagation', results)}\n`,
    );
  } finally {
    if (profileDir)
      await waitFor(
        () =>
          Object.values(apps).every((app) =>
            readdirSync(profileDir).some((file) => file.endsWith(`-${app.child.pid}.cpuprofile`)),
          ),
        { timeoutMs: 30_000, description: 'the CPU profiles to be written' },
      ).catch((error: Error) => process.stderr.write(`${error.message}\n`));
    Object.values(apps).forEach((app) => app.kill());
    await environment.dispose();
    await vendor.close();
  }
}

/** Width of the windows of the latency timeline. */
const TIMELINE_WINDOW_SECONDS = 5;

/** accepted -> applied in windows of the load by acceptance time: a stall shows as one window. */
function latencyTimeline(
  accepted: ReadonlyMap<string, number>,
  applied: ReadonlyMap<string, number>,
  loadStart: number,
): Array<{ fromSecond: number; count: number; p50: number; p99: number; max: number }> {
  const windows: number[][] = [];
  for (const [subjectId, at] of accepted) {
    const appliedAt = applied.get(subjectId);
    if (appliedAt === undefined) continue;
    const index = Math.max(0, Math.floor((at - loadStart) / 1000 / TIMELINE_WINDOW_SECONDS));
    (windows[index] ??= []).push(appliedAt - at);
  }
  return [...windows].map((window = [], index) => {
    const sorted = window.sort((a, b) => a - b);
    return {
      fromSecond: index * TIMELINE_WINDOW_SECONDS,
      count: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    };
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
