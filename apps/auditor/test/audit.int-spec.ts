import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { childEnvironment, loadConsentPolicy } from '@consent-ledger/config';
import { decide, foldEvents } from '@consent-ledger/consent-domain';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  ACKS_ALL,
  AvroSerde,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
  hashConsentEvent,
  sha256Hex,
  valueSubject,
} from '@consent-ledger/kafka';
import type { ExportedCheckpoint } from '@consent-ledger/kafka';
import { createDataSource } from '@consent-ledger/persistence';
import {
  choiceRequest,
  createTestEnvironment,
  deadLetterCodesFor,
  fixtureUsageRecord,
  listenOnLoopback,
  minutesAgo,
  produceStraightToTopic,
  startAppProcess,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  TEST_READ_ONLY_KEY,
  uniqueName,
  waitFor,
  waitForProjectionSettled,
} from '@consent-ledger/testing';
import type { AppProcess, FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';
import { Partitioners } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createAuditorApi } from '../src/http/auditor-api.factory';
import { AuditorService } from '../src/auditor.service';
import { partitionRanges } from '../src/event-log.reader';
import { logReaderKinds } from '../src/replay-options';
import type { AccessReport, ConsentProof, ReplayRow, VerifyReport } from '../src/auditor';

const runFile = promisify(execFile);
let cliEnvironment: Record<string, string> = {};

/** Runs the auditor CLI as an auditor would, with this test's settings. */
async function runCli(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await runFile(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        '-r',
        'tsconfig-paths/register',
        'apps/auditor/src/cli.ts',
        ...args,
      ],
      {
        env: childEnvironment({ ...cliEnvironment, TS_NODE_TRANSPILE_ONLY: 'true' }),
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const noticeHash = 'ab'.repeat(32);

const consentEvent = (
  subjectId: string,
  purpose: string,
  action: 'GRANT' | 'WITHDRAW',
  jurisdiction = 'DE',
  occurredAt = minutesAgo(5),
  notice = { noticeId: 'privacy', version: '3', textSha256: noticeHash },
) => choiceRequest(subjectId, purpose, action, { jurisdiction, occurredAt, notice });

interface ApiPurpose {
  purpose: string;
  allowed: boolean;
  reason: string;
  decidedBy: string | null;
  choice: { eventId: string } | null;
}

/** What every way of asking "as of T" must agree on, per subject and purpose. */
const comparable = (
  subjectId: string,
  row: { purpose: string; allowed: boolean; reason: string; decidedBy: string | null },
  choiceEventId: string | null,
) => ({
  subjectId,
  purpose: row.purpose,
  allowed: row.allowed,
  reason: row.reason,
  decidedBy: row.decidedBy,
  choiceEventId,
});

describe('audit: replay to any moment, verification, proof and usage against the real stack', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let auditor: INestApplication;
  let connectors: AppProcess | undefined;
  let emailPlatform: FakeVendor;
  let dataSource: DataSource;
  let apiUrl: string;
  let decisionsUrl: string;
  let auditUrl: string;
  const subjectsRecorded: string[] = [];
  let eventsRecorded = 0;
  const CONNECTORS_PORT = 3931;

  const call = async (url: string, init: RequestInit = {}, key = TEST_ADMIN_KEY) =>
    fetch(url, {
      ...init,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const record = async (body: ReturnType<typeof consentEvent>) => {
    const response = await call(`${apiUrl}/v1/consent-events`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    subjectsRecorded.push(body.subjectId);
    eventsRecorded += 1;
    return (await response.json()) as { eventId: string };
  };
  /** A chain checkpoint now, through the API's operations endpoint. */
  const takeCheckpoint = async (): Promise<ExportedCheckpoint['checkpoint']> => {
    const response = await call(`${apiUrl}/v1/chain-checkpoints`, { method: 'POST', body: '{}' });
    const body = await response.json();
    expect({ status: response.status, body }).toEqual({ status: 201, body: expect.anything() });
    return body as ExportedCheckpoint['checkpoint'];
  };
  const settled = () =>
    waitForProjectionSettled(dataSource, [...new Set(subjectsRecorded)], eventsRecorded);
  const eventsOf = async (subjectId: string): Promise<ConsentEvent[]> => {
    const response = await call(`${apiUrl}/v1/subjects/${subjectId}/events?limit=1000`);
    const page = (await response.json()) as { events: Array<Record<string, unknown>> };
    return page.events.map(
      (event) =>
        ({
          ...event,
          occurredAt: new Date(event.occurredAt as string),
          recordedAt: new Date(event.recordedAt as string),
          expiresAt: event.expiresAt ? new Date(event.expiresAt as string) : null,
        }) as unknown as ConsentEvent,
    );
  };
  const verify = async (query = ''): Promise<VerifyReport> => {
    const response = await call(`${auditUrl}/v1/audit/verify${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as VerifyReport;
  };

  beforeAll(async () => {
    emailPlatform = await startFakeVendor(201);
    environment = await createTestEnvironment({ EMAIL_PLATFORM_URL: emailPlatform.url });
    cliEnvironment = { ...environment.overrides };
    dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api', 'projector', 'decision-api'],
    });
    apiUrl = pipeline.url('consent-api');
    decisionsUrl = pipeline.url('decision-api');
    auditor = await createAuditorApi(environment.config);
    auditUrl = await listenOnLoopback(auditor);
    connectors = startAppProcess('apps/connectors/src/main.ts', {
      ...environment.overrides,
      CONNECTORS: 'email-platform,ml-training',
      HTTP_PORT: String(CONNECTORS_PORT),
    });
  });

  afterAll(async () => {
    connectors?.kill();
    await auditor?.close();
    await pipeline?.stop();
    await dataSource?.destroy();
    await environment?.dispose();
    await emailPlatform?.close();
  });

  it('as of random moments of random histories: the API = the replay = the fold of the events', async () => {
    const { taxonomy, policy } = loadConsentPolicy(environment.config.consentPolicy);
    const purposes = ['marketing', 'marketing.email', 'ads.targeted', 'ml.training'];
    const history = fc.array(
      fc.record({
        subject: fc.integer({ min: 0, max: 2 }),
        purpose: fc.constantFrom(...purposes),
        action: fc.constantFrom('GRANT' as const, 'WITHDRAW' as const),
        jurisdiction: fc.constantFrom('DE', 'US-CA', 'GB'),
        minutesAgo: fc.integer({ min: 1, max: 600 }),
      }),
      { minLength: 2, maxLength: 12 },
    );
    const moments = fc.array(fc.double({ min: -0.05, max: 1.05, noNaN: true }), {
      minLength: 2,
      maxLength: 3,
    });

    await fc.assert(
      fc.asyncProperty(history, moments, fc.nat(), async (steps, fractions, boundaryPick) => {
        const subjects = [0, 1, 2].map(() => uniqueName('asof'));
        for (const step of steps) {
          await record(
            consentEvent(
              subjects[step.subject]!,
              step.purpose,
              step.action,
              step.jurisdiction,
              minutesAgo(step.minutesAgo),
            ),
          );
        }
        await settled();
        const events = new Map(
          await Promise.all(subjects.map(async (id) => [id, await eventsOf(id)] as const)),
        );
        const recorded = [...events.values()].flat().map((event) => event.recordedAt.getTime());
        const first = Math.min(...recorded);
        const last = Math.max(...recorded);
        // Random moments across the history, and one exactly at a recording time (inclusive)
        // and one millisecond before it.
        const boundary = recorded[boundaryPick % recorded.length]!;
        const times = [
          ...fractions.map((fraction) => Math.round(first + fraction * Math.max(1, last - first))),
          boundary,
          boundary - 1,
        ];
        for (const time of times) {
          const asOf = new Date(time).toISOString();
          const fromApi = await Promise.all(
            subjects.map(async (subjectId) => {
              const response = await call(
                `${apiUrl}/v1/subjects/${subjectId}/consents?asOf=${encodeURIComponent(asOf)}`,
              );
              const body = (await response.json()) as { purposes: ApiPurpose[] };
              return body.purposes
                .filter((row) => purposes.includes(row.purpose))
                .map((row) => comparable(subjectId, row, row.choice?.eventId ?? null));
            }),
          );
          const replayResponse = await call(
            `${auditUrl}/v1/audit/replay?asOf=${encodeURIComponent(asOf)}&subjectId=${subjects.join(',')}&purpose=${purposes.join(',')}`,
          );
          expect(replayResponse.status).toBe(200);
          const replayed = ((await replayResponse.json()) as { rows: ReplayRow[] }).rows.map(
            (row) => comparable(row.subjectId, row, row.choiceEventId),
          );
          const folded = subjects.flatMap((subjectId) => {
            const state = foldEvents(
              events.get(subjectId)!.filter((event) => event.recordedAt.getTime() <= time),
            );
            return purposes.map((purpose) => {
              const decision = decide(state, purpose, { taxonomy, policy, at: new Date(time) });
              const choice = decision.decidedBy ? state.choices[decision.decidedBy] : undefined;
              return comparable(subjectId, decision, choice?.eventId ?? null);
            });
          });
          const bySubject = (rows: ReturnType<typeof comparable>[]) =>
            [...rows].sort((a, b) =>
              `${a.subjectId}|${a.purpose}`.localeCompare(`${b.subjectId}|${b.purpose}`),
            );
          expect(bySubject(fromApi.flat())).toEqual(bySubject(folded));
          expect(bySubject(replayed)).toEqual(bySubject(folded));
        }
      }),
      { numRuns: 4 },
    );
  });

  it('refuses a local as-of time that daylight saving skipped or repeated, naming the choices', async () => {
    const skipped = await call(
      `${auditUrl}/v1/audit/replay?asOf=2026-03-29T02:30&timeZone=Europe/Berlin`,
    );
    expect(skipped.status).toBe(400);
    expect(skipped.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await skipped.json()).toMatchObject({
      code: 'AUDIT.INVALID_AS_OF',
      detail: expect.stringMatching(/does not exist in Europe\/Berlin/),
    });
    const repeated = await call(
      `${auditUrl}/v1/audit/replay?asOf=2026-10-25T02:30&timeZone=Europe/Berlin`,
    );
    expect(await repeated.json()).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/2026-10-25T02:30\+02:00 or 2026-10-25T02:30\+01:00/),
    });
    // The same instant written as New York wall time and as UTC replays to the same rows.
    const subjectId = uniqueName('tz');
    await record(consentEvent(subjectId, 'marketing.email', 'GRANT'));
    await settled();
    const now = new Date(Date.now() + 1_000);
    const newYork = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'America/New_York',
      dateStyle: 'short',
      timeStyle: 'medium',
    })
      .format(now)
      .replace(' ', 'T');
    const rows = async (query: string) =>
      (
        (await (
          await call(`${auditUrl}/v1/audit/replay?${query}&subjectId=${subjectId}`)
        ).json()) as { rows: ReplayRow[] }
      ).rows;
    const utc = await rows(
      `asOf=${encodeURIComponent(new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString())}`,
    );
    expect(await rows(`asOf=${newYork}&timeZone=America/New_York`)).toEqual(utc);
    expect(utc.find((row) => row.purpose === 'marketing.email')).toMatchObject({ allowed: true });
  });

  it('replays on either time axis: what was recorded by T, or what people had done by T', async () => {
    const subjectId = uniqueName('axis');
    // Recorded now, about a choice made ten minutes ago (a late import, say).
    const granted = await record(
      consentEvent(subjectId, 'marketing.email', 'GRANT', 'DE', minutesAgo(10)),
    );
    await settled();
    const fiveMinutesAgo = encodeURIComponent(minutesAgo(5));
    const replayAt = async (axis: string) => {
      const response = await call(
        `${auditUrl}/v1/audit/replay?asOf=${fiveMinutesAgo}&timeAxis=${axis}&subjectId=${subjectId}&purpose=marketing.email`,
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as { rows: ReplayRow[] }).rows[0];
    };
    expect(await replayAt('recorded')).toMatchObject({ allowed: false, choiceEventId: null });
    expect(await replayAt('occurred')).toMatchObject({
      allowed: true,
      choiceEventId: granted.eventId,
    });
  });

  it('folds the same state with worker threads (one per share of the partitions) as on one thread', async () => {
    for (let i = 0; i < 12; i += 1)
      await record(consentEvent(uniqueName('threads'), 'marketing.email', 'GRANT'));
    await settled();
    const service = auditor.get(AuditorService);
    const asOf = new Date(Date.now() + 1_000);
    const oneThread = await service.replay({ asOf, readers: 1 });
    const twoThreads = await service.replay({ asOf, readers: 2 });
    const twoThroughKafkajs = await service.replay({
      asOf,
      readers: 2,
      logReader: 'kafkajs-consumer',
    });
    expect(twoThreads.readers).toBe(2);
    expect(oneThread.readers).toBe(1);
    expect(twoThreads.recordsRead).toBe(oneThread.recordsRead);
    expect(twoThreads.eventsApplied).toBe(eventsRecorded);
    expect(twoThreads.states.size).toBeGreaterThanOrEqual(12);
    expect(service.rows(twoThreads.states, asOf)).toEqual(service.rows(oneThread.states, asOf));
    expect(twoThroughKafkajs).toMatchObject({ readers: 2, logReader: 'kafkajs-consumer' });
    expect(twoThroughKafkajs.eventsApplied).toBe(eventsRecorded);
    expect(service.rows(twoThroughKafkajs.states, asOf)).toEqual(
      service.rows(oneThread.states, asOf),
    );
  });

  describe('tampering with a copy of the log', () => {
    let victim: string;
    let victimEvents: string[];
    let serde: AvroSerde;

    /** Every record of the log, per partition in offset order. */
    const readLog = async (): Promise<Map<number, KafkaMessage[]>> => {
      const kafka = createKafkaClient(environment.config.kafka, 'tamper-test');
      const admin = kafka.admin();
      await admin.connect();
      const topic = consentTopics(environment.config.kafka.topicPrefix).events;
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      const partitions = new Map<number, KafkaMessage[]>(offsets.map((o) => [o.partition, []]));
      const wanted = offsets.reduce((sum, o) => sum + Number(o.high), 0);
      const consumer = kafka.consumer({ groupId: uniqueName('tamper-copy') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let seen = 0;
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          // A rebalance may hand records back: keep each offset once, in order.
          const kept = partitions.get(partition)!;
          if (kept.length > 0 && Number(message.offset) <= Number(kept[kept.length - 1]!.offset))
            return;
          kept.push(message);
          seen += 1;
        },
      });
      await waitFor(() => seen >= wanted, { timeoutMs: 30_000, description: 'the log copied' });
      await consumer.disconnect();
      return partitions;
    };

    /**
     * Writes the (tampered) partitions to a new topic, keeping partition and order; with
     * `transactional`, in one transaction, so that each partition ends with a commit marker.
     */
    const writeCopy = async (
      partitions: Map<number, KafkaMessage[]>,
      { transactional = false } = {},
    ): Promise<string> => {
      const kafka = createKafkaClient(environment.config.kafka, 'tamper-test');
      const topic = `${environment.config.kafka.topicPrefix}${uniqueName('tampered')}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions.size, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      // Every message names its partition; the partitioner is set only to say which one applies.
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        ...(transactional
          ? { transactionalId: uniqueName('tamper-tx'), idempotent: true, maxInFlightRequests: 1 }
          : {}),
      });
      await producer.connect();
      const transaction = transactional ? await producer.transaction() : undefined;
      for (const [partition, messages] of partitions) {
        if (messages.length === 0) continue;
        await (transaction ?? producer).send({
          topic,
          acks: -1,
          messages: messages.map((m) => ({ key: m.key, value: m.value, partition })),
        });
      }
      await transaction?.commit();
      await producer.disconnect();
      return topic;
    };

    /** Where the victim's events sit: partition, and index in it, in log order. */
    const victimPositions = (partitions: Map<number, KafkaMessage[]>) => {
      for (const [partition, messages] of partitions) {
        const indexes = messages.flatMap((m, index) =>
          m.key?.toString() === victim ? [index] : [],
        );
        if (indexes.length > 0) return { partition, indexes };
      }
      throw new Error('victim not in the log');
    };

    const findingsAbout = (report: VerifyReport) =>
      report.findings
        .filter((f) => f.subjectId === victim || victimEvents.includes(f.eventId ?? ''))
        .map(({ kind, partition, offset }) => ({ kind, partition, offset }));

    beforeAll(async () => {
      serde = AvroSerde.connect(environment.config.schemaRegistry);
      victim = uniqueName('victim');
      victimEvents = [];
      for (const [purpose, action] of [
        ['marketing.email', 'GRANT'],
        ['ads.targeted', 'GRANT'],
        ['marketing.email', 'WITHDRAW'],
        ['ml.training', 'GRANT'],
      ] as const) {
        victimEvents.push((await record(consentEvent(victim, purpose, action))).eventId);
      }
      await settled();
    });

    it('the untouched log verifies clean, now and as of a past moment', async () => {
      const now = await verify();
      expect(now.findings).toEqual([]);
      expect(now).toMatchObject({ consistent: true, eventsChecked: eventsRecorded });
      const past = await verify(`?asOf=${encodeURIComponent(minutesAgo(0.01))}`);
      expect(past.consistent).toBe(true);
    });

    /** Verifies a copy of the log the way an auditor would: through the Auditor itself. */
    const verifyCopy = (topic: string) => auditor.get(AuditorService).verify({ topic });

    it('an altered event is caught at its own position and at the next link', async () => {
      const partitions = await readLog();
      const { partition, indexes } = victimPositions(partitions);
      const original = partitions.get(partition)![indexes[1]!]!;
      const decoded = await serde.decode<ConsentEvent>(original.value);
      const eventsTopic = consentTopics(environment.config.kafka.topicPrefix).events;
      partitions.get(partition)![indexes[1]!] = {
        ...original,
        value: await serde.encode(valueSubject(eventsTopic), { ...decoded, action: 'WITHDRAW' }),
      };
      const copy = await writeCopy(partitions);
      // Both log readers (Fetch requests of our own, and the kafkajs consumer) find the same.
      for (const logReader of logReaderKinds) {
        const report = await auditor.get(AuditorService).verify({ topic: copy, logReader });
        expect(report.consistent).toBe(false);
        expect(findingsAbout(report)).toEqual([
          { kind: 'BROKEN_LINK', partition, offset: String(indexes[2]) },
          { kind: 'ALTERED', partition, offset: String(indexes[1]) },
          { kind: 'STATE_MISMATCH', partition: null, offset: null },
        ]);
      }
    });

    it('a dropped event is caught at the next link and named from the read model', async () => {
      const partitions = await readLog();
      const { partition, indexes } = victimPositions(partitions);
      partitions.get(partition)!.splice(indexes[1]!, 1);
      const copy = await writeCopy(partitions);
      const report = await verifyCopy(copy);
      expect(findingsAbout(report)).toEqual([
        { kind: 'BROKEN_LINK', partition, offset: String(indexes[2]! - 1) },
        { kind: 'MISSING_FROM_LOG', partition, offset: String(indexes[1]) },
        { kind: 'STATE_MISMATCH', partition: null, offset: null },
      ]);
      expect(report.findings.find((f) => f.kind === 'MISSING_FROM_LOG')?.eventId).toBe(
        victimEvents[1],
      );

      // The CLI says the same and exits 1; JSON on stdout, the summary on stderr.
      const cli = await runCli(['verify', '--topic', copy, '--format', 'json', '--no-progress']);
      expect(cli.code).toBe(1);
      const printed = JSON.parse(cli.stdout) as VerifyReport;
      expect(printed.findings).toContainEqual(
        expect.objectContaining({
          kind: 'BROKEN_LINK',
          subjectId: victim,
          partition,
          offset: String(indexes[2]! - 1),
        }),
      );
      expect(cli.stderr).toMatch(/finding\(s\)/);
    });

    it('reordered events are caught as out of order at each moved position', async () => {
      const partitions = await readLog();
      const { partition, indexes } = victimPositions(partitions);
      const messages = partitions.get(partition)!;
      [messages[indexes[1]!], messages[indexes[2]!]] = [
        messages[indexes[2]!]!,
        messages[indexes[1]!]!,
      ];
      const report = await verifyCopy(await writeCopy(partitions));
      expect(findingsAbout(report)).toEqual([
        { kind: 'OUT_OF_ORDER', partition, offset: String(indexes[1]) },
        { kind: 'OUT_OF_ORDER', partition, offset: String(indexes[2]) },
        { kind: 'OUT_OF_ORDER', partition, offset: String(indexes[3]) },
      ]);
    });

    it("an altered last event, which no later link covers, is caught against the API's chain head", async () => {
      const partitions = await readLog();
      const { partition, indexes } = victimPositions(partitions);
      const original = partitions.get(partition)![indexes[3]!]!;
      const decoded = await serde.decode<ConsentEvent>(original.value);
      const eventsTopic = consentTopics(environment.config.kafka.topicPrefix).events;
      partitions.get(partition)![indexes[3]!] = {
        ...original,
        value: await serde.encode(valueSubject(eventsTopic), { ...decoded, action: 'WITHDRAW' }),
      };
      const report = await verifyCopy(await writeCopy(partitions));
      expect(findingsAbout(report)).toEqual([
        { kind: 'ALTERED', partition, offset: String(indexes[3]) },
        { kind: 'STATE_MISMATCH', partition: null, offset: null },
        { kind: 'HEAD_MISMATCH', partition: null, offset: null },
      ]);
    });

    it('reads to the end of partitions whose last records are transaction markers', async () => {
      const log = await readLog();
      const copy = await writeCopy(log, { transactional: true });
      // The commit returns before the markers are written; readers see the records once they are.
      const records = [...log.values()].reduce((sum, messages) => sum + messages.length, 0);
      const kafka = createKafkaClient(environment.config.kafka, 'tamper-test');
      await waitFor(
        async () => {
          const ranges = await partitionRanges(kafka, copy);
          return Object.values(ranges).reduce((sum, r) => sum + Number(r.high), 0) > records;
        },
        { timeoutMs: 30_000, description: 'the transaction visible to readers' },
      );
      const asOf = new Date(Date.now() + 1_000);
      const service = auditor.get(AuditorService);
      const [fromCopy, fromCopyThroughKafkajs, fromLog] = await Promise.all([
        service.replay({ asOf, topic: copy }),
        service.replay({ asOf, topic: copy, logReader: 'kafkajs-consumer' }),
        service.replay({ asOf }),
      ]);
      expect([fromCopy.logReader, fromCopyThroughKafkajs.logReader]).toEqual([
        'direct-fetch',
        'kafkajs-consumer',
      ]);
      for (const replayed of [fromCopy, fromCopyThroughKafkajs]) {
        expect(replayed.eventsApplied).toBe(fromLog.eventsApplied);
        expect(service.rows(replayed.states, asOf)).toEqual(service.rows(fromLog.states, asOf));
      }
      for (const logReader of logReaderKinds)
        expect((await service.verify({ topic: copy, logReader })).consistent).toBe(true);
    });

    it('replays from the CLI as CSV', async () => {
      const cli = await runCli([
        'replay',
        '--as-of',
        new Date(Date.now() + 1_000).toISOString(),
        '--subject',
        victim,
        '--purpose',
        'marketing.email',
        '--purpose',
        'ads.targeted',
        '--format',
        'csv',
        '--no-progress',
      ]);
      expect(cli.code).toBe(0);
      const lines = cli.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^subjectId,purpose,allowed,reason,/);
      expect(lines.slice(1).map((line) => line.split(',').slice(0, 3))).toEqual([
        [victim, 'marketing.email', 'false'],
        [victim, 'ads.targeted', 'true'],
      ]);
      expect(cli.stderr).toMatch(/replayed \d+ records/);

      const mistyped = await runCli([
        'replay',
        '--as-of',
        '2026-11-22',
        '--time-zone',
        'UTC',
        '--topic',
        'no-such-topic',
      ]);
      expect(mistyped.code).toBe(2);
      expect(mistyped.stderr).toMatch(/topic 'no-such-topic' does not exist on the cluster/);
    });

    it('a deleted last event is caught against the signed checkpoint, kept outside the system', async () => {
      const taken = await takeCheckpoint();
      expect(taken.subjectCount).toBe(new Set(subjectsRecorded).size);
      const response = await call(`${auditUrl}/v1/audit/checkpoints/latest`);
      expect(response.status).toBe(200);
      const exported = (await response.json()) as ExportedCheckpoint;
      expect(exported.checkpoint).toEqual(taken);
      const file = join(tmpdir(), `${uniqueName('checkpoint')}.json`);
      writeFileSync(file, JSON.stringify(exported));

      // The live log measures clean against it.
      expect((await verify()).checkpoint?.checkpointId).toBe(taken.checkpointId);
      expect((await verify()).findings).toEqual([]);

      // A copy without the victim's last event: its chain is intact, only the checkpoint knows.
      const partitions = await readLog();
      const { partition, indexes } = victimPositions(partitions);
      partitions.get(partition)!.splice(indexes[3]!, 1);
      const copy = await writeCopy(partitions);
      const cli = await runCli([
        'verify',
        '--topic',
        copy,
        '--checkpoint',
        file,
        '--format',
        'json',
        '--no-progress',
      ]);
      expect(cli.code).toBe(1);
      const report = JSON.parse(cli.stdout) as VerifyReport;
      expect(report.findings.filter((f) => f.kind.startsWith('CHECKPOINT'))).toEqual([
        expect.objectContaining({
          kind: 'CHECKPOINT_HEAD_MISSING',
          subjectId: victim,
          partition,
          offset: String(indexes[2]),
        }),
      ]);
      expect(cli.stderr).toMatch(new RegExp(`against checkpoint ${taken.checkpointId}`));

      // Mending the checkpoint to match breaks its signature.
      const [, , third] = await eventsOf(victim);
      const mended: ExportedCheckpoint = {
        checkpoint: exported.checkpoint,
        leaves: exported.leaves.map((leaf) =>
          leaf.subjectId === victim ? { ...leaf, headHash: hashConsentEvent(third!) } : leaf,
        ),
      };
      const forgedReport = await auditor
        .get(AuditorService)
        .verify({ topic: copy, checkpoint: mended });
      expect(forgedReport.findings.filter((f) => f.kind.startsWith('CHECKPOINT'))).toEqual([
        expect.objectContaining({
          kind: 'CHECKPOINT_INVALID',
          detail: expect.stringMatching(/the leaves were altered/),
        }),
      ]);
    });

    it('a forged, correctly linked event written straight to the log is caught against the next checkpoint', async () => {
      const subjectId = uniqueName('forged');
      await record(consentEvent(subjectId, 'marketing.email', 'GRANT'));
      await settled();
      const [genuine] = await eventsOf(subjectId);
      const forged: ConsentEvent = {
        ...genuine!,
        eventId: '01a20000-0000-7000-8000-00000000f0f0',
        purpose: 'ads.targeted',
        idempotencyKey: uniqueName('forged-key'),
        recordedAt: new Date(),
        previousEventHash: hashConsentEvent(genuine!),
      };
      const eventsTopic = consentTopics(environment.config.kafka.topicPrefix).events;
      const kafka = createKafkaClient(environment.config.kafka, 'forger');
      const forger = createDurableProducer(kafka);
      await forger.connect();
      await forger.send({
        topic: eventsTopic,
        acks: ACKS_ALL,
        messages: [
          { key: subjectId, value: await serde.encode(valueSubject(eventsTopic), forged) },
        ],
      });
      await forger.disconnect();
      // Its link is intact, so the projector applies it like any other.
      eventsRecorded += 1;
      await settled();

      await takeCheckpoint();
      const report = await verify();
      expect(report.findings.filter((f) => f.kind.startsWith('CHECKPOINT'))).toEqual([
        expect.objectContaining({
          kind: 'CHECKPOINT_UNRECORDED',
          subjectId,
          eventId: forged.eventId,
        }),
      ]);
      // The chain itself holds: only the checkpoint (and the API's live head) can tell.
      expect(report.findings.map((f) => f.kind).sort()).toEqual([
        'CHECKPOINT_UNRECORDED',
        'HEAD_MISMATCH',
      ]);
    });
  });

  it('records every decision and manifest in the usage log, queryable by subject, campaign and job', async () => {
    const subjectId = uniqueName('used');
    await record(consentEvent(subjectId, 'ml.training', 'GRANT'));
    const emailGrant = await record(consentEvent(subjectId, 'marketing.email', 'GRANT'));
    await settled();
    const campaignId = uniqueName('campaign');
    await waitFor(
      async () => {
        const response = await call(`${decisionsUrl}/v1/decisions`, {
          method: 'POST',
          body: JSON.stringify({ subjectId, purpose: 'marketing.email', campaignId }),
        });
        return ((await response.json()) as { allowed: boolean }).allowed;
      },
      { timeoutMs: 30_000, description: 'the decision API to know the grant' },
    );
    const audienceCampaign = uniqueName('audience');
    const audience = await call(
      `${decisionsUrl}/v1/purposes/marketing.email/audience?limit=10000&campaignId=${audienceCampaign}`,
    );
    expect(((await audience.json()) as { subjects: string[] }).subjects).toContain(subjectId);
    const filterCampaign = uniqueName('filter');
    const filtered = await call(
      `${decisionsUrl}/v1/filter?purpose=marketing.email&campaignId=${filterCampaign}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: [1, 2, 3].map((row) => JSON.stringify({ subjectId, row })).join('\n'),
      },
    );
    expect((await filtered.text()).trim().split('\n')).toHaveLength(3);
    const jobId = uniqueName('job');
    await waitFor(
      async () => {
        const issued = await call(`http://127.0.0.1:${CONNECTORS_PORT}/v1/training-manifests`, {
          method: 'POST',
          body: JSON.stringify({
            jobId,
            datasetId: 'customers',
            purpose: 'ml.training',
            subjectIds: [subjectId],
          }),
        }).catch(() => undefined);
        if (issued?.status !== 201) return false;
        return ((await issued.json()) as { allowed: string[] }).allowed.includes(subjectId);
      },
      {
        timeoutMs: 60_000,
        description: () => `a manifest including the subject (${connectors?.output().slice(-300)})`,
      },
    );
    type Usage = {
      kind: string;
      campaignId: string | null;
      jobId: string | null;
      allowed: boolean;
      decidingEventId: string | null;
      askedBy: string;
      regime: string | null;
      jurisdiction: string | null;
    };
    let usage: Usage[] = [];
    await waitFor(
      async () => {
        const response = await call(`${auditUrl}/v1/audit/subjects/${subjectId}/usage`);
        usage = ((await response.json()) as { usage: Usage[] }).usage;
        return (
          usage.some((u) => u.kind === 'MANIFEST') &&
          usage.some((u) => u.kind === 'AUDIENCE') &&
          usage.some((u) => u.kind === 'FILTER') &&
          usage.some((u) => u.allowed && u.campaignId === campaignId)
        );
      },
      {
        timeoutMs: 30_000,
        description: () => `the usage indexed (so far ${JSON.stringify(usage)})`,
      },
    );
    expect(usage.filter((u) => u.campaignId === campaignId && u.allowed)[0]).toMatchObject({
      kind: 'DECISION',
      askedBy: 'admin',
      jobId: null,
      regime: 'GDPR',
      jurisdiction: null,
    });
    expect(usage.find((u) => u.kind === 'MANIFEST')).toMatchObject({
      jobId,
      allowed: true,
      campaignId: null,
    });
    expect(usage.find((u) => u.kind === 'AUDIENCE')).toMatchObject({
      campaignId: audienceCampaign,
      allowed: true,
      decidingEventId: emailGrant.eventId,
    });
    // Three rows of the same person in one filter request: one record of the use.
    expect(usage.filter((u) => u.kind === 'FILTER')).toEqual([
      expect.objectContaining({ campaignId: filterCampaign, allowed: true }),
    ]);
    const byCampaign = await call(`${auditUrl}/v1/audit/usage?campaignId=${campaignId}`);
    const rows = ((await byCampaign.json()) as { usage: Array<{ subjectId: string }> }).usage;
    expect(new Set(rows.map((row) => row.subjectId))).toEqual(new Set([subjectId]));
    const decision = usage.find((u) => u.campaignId === campaignId && u.allowed)!;
    expect(decision.decidingEventId).toBe(emailGrant.eventId);

    const forbidden = await call(
      `${auditUrl}/v1/audit/subjects/${subjectId}/usage`,
      {},
      TEST_READ_ONLY_KEY,
    );
    expect(forbidden.status).toBe(403);
  });

  it('indexes the usage log past a record PostgreSQL refuses, which is dead-lettered with the reason', async () => {
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const kafka = createKafkaClient(environment.config.kafka, 'audit-usage-poison');
    const subjectId = uniqueName('usage-poison');
    const usage = (askedBy: string) => fixtureUsageRecord(subjectId, { askedBy });
    const [poison, good] = [usage('evil\u0000key'), usage('admin')];
    await produceStraightToTopic(environment.config, topics.usage, [
      { key: subjectId, value: poison },
      { key: subjectId, value: good },
    ]);

    await waitFor(
      async () => {
        const response = await call(`${auditUrl}/v1/audit/subjects/${subjectId}/usage`);
        const rows = ((await response.json()) as { usage: Array<{ usageId: string }> }).usage;
        return rows.some((row) => row.usageId === good.usageId);
      },
      { timeoutMs: 30_000, description: 'the record behind the poison indexed' },
    );
    const codes = await deadLetterCodesFor(kafka, topics.deadLetter, subjectId);
    expect(codes).toEqual(['RECORD.DATA_REFUSED']);
  });

  it('exports the events recorded in a range as NDJSON, one event per line', async () => {
    // Given two events recorded after a moment
    const from = new Date();
    const subjectId = uniqueName('export');
    const granted = await record(
      consentEvent(subjectId, 'marketing.email', 'GRANT', 'DE', minutesAgo(2)),
    );
    const withdrawn = await record(
      consentEvent(subjectId, 'marketing.email', 'WITHDRAW', 'DE', minutesAgo(1)),
    );
    await settled();
    // When the range from that moment to now is exported
    const to = new Date(Date.now() + 1_000);
    const response = await call(
      `${auditUrl}/v1/audit/events?from=${from.toISOString()}&to=${to.toISOString()}`,
    );
    // Then each line is one event of the range, as JSON
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).split('\n');
    expect(lines.pop()).toBe('');
    const ours = lines
      .map((line) => JSON.parse(line) as { eventId: string; subjectId: string })
      .filter((event) => event.subjectId === subjectId);
    expect(ours.map((event) => event.eventId)).toEqual([granted.eventId, withdrawn.eventId]);
  });

  it('refuses an export range that ends before it starts, naming the field', async () => {
    const response = await call(
      `${auditUrl}/v1/audit/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      code: 'REQUEST.INVALID_RANGE',
      errors: [expect.objectContaining({ field: 'to' })],
    });
  });

  describe('proof of consent', () => {
    const text = 'We will email you offers. <script>alert(1)</script> Withdraw at any time.';
    const register = (body: unknown) =>
      call(`${apiUrl}/v1/notices/newsletter/versions/2026-11`, {
        method: 'PUT',
        body: JSON.stringify(body),
      });
    const subjectId = uniqueName('proof');
    let granted: { eventId: string };
    let withdrawn: { eventId: string };
    let proof: ConsentProof;

    beforeAll(async () => {
      // Given a notice registered, a grant under it and a withdrawal the email platform applied
      const registered = await register({ text, language: 'en', title: 'Newsletter' });
      expect(registered.status).toBe(201);
      const notice = (await registered.json()) as { textSha256: string };
      expect(notice.textSha256).toBe(sha256Hex(text));
      granted = await record(
        consentEvent(subjectId, 'marketing.email', 'GRANT', 'DE', minutesAgo(3), {
          noticeId: 'newsletter',
          version: '2026-11',
          textSha256: notice.textSha256,
        }),
      );
      withdrawn = await record(
        consentEvent(subjectId, 'marketing.email', 'WITHDRAW', 'DE', minutesAgo(1)),
      );
      await settled();
      // When the proof is asked for, once the withdrawal's delivery is recorded
      await waitFor(
        async () => {
          const response = await call(`${auditUrl}/v1/audit/subjects/${subjectId}/proof`);
          proof = (await response.json()) as ConsentProof;
          return proof.deliveries.some((d) => d.causeEventId === withdrawn.eventId);
        },
        {
          timeoutMs: 60_000,
          description: () => `the withdrawal delivered (${connectors?.output().slice(-300)})`,
        },
      );
    });

    it('keeps a notice version as registered: the same text again is fine, another text is refused', async () => {
      expect((await register({ text, language: 'en', title: 'Newsletter' })).status).toBe(200);
      const changed = await register({ text: `${text} (edited)` });
      expect(changed.status).toBe(409);
      expect(await changed.json()).toMatchObject({ code: 'NOTICE.VERSION_EXISTS' });
    });

    it('lists each event with its chain link intact and the notice text the person was shown', () => {
      expect(proof.chainIntact).toBe(true);
      expect(proof.events.map((e) => [e.event.eventId, e.linkIntact])).toEqual([
        [granted.eventId, true],
        [withdrawn.eventId, true],
      ]);
      expect(proof.events[0]!.notice).toMatchObject({
        text,
        textMatches: true,
        title: 'Newsletter',
      });
      expect(proof.events[0]!.event).toMatchObject({ channel: 'WEB', method: 'BANNER' });
    });

    it('says what the email platform was told, and the decision now', () => {
      expect(proof.deliveries).toContainEqual(
        expect.objectContaining({
          sink: 'email-platform',
          allowed: false,
          causeEventId: withdrawn.eventId,
        }),
      );
      expect(proof.current.find((row) => row.purpose === 'marketing.email')).toMatchObject({
        allowed: false,
        choiceEventId: withdrawn.eventId,
      });
    });

    it('prints as an HTML page that runs no script and cannot be framed, whatever its text holds', async () => {
      const html = await call(`${auditUrl}/v1/audit/subjects/${subjectId}/proof`, {
        headers: { accept: 'text/html' },
      });
      expect(html.headers.get('content-type')).toMatch(/text\/html/);
      expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(html.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(html.headers.get('x-content-type-options')).toBe('nosniff');
      const page = await html.text();
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toContain('<script>');
      expect(page).toContain(withdrawn.eventId);
    });

    it('gives the person an access report: where they stand and why, each choice, the notice, who was told', async () => {
      // When the person's access report is asked for
      const response = await call(`${auditUrl}/v1/subjects/${subjectId}/access-report`);
      const report = (await response.json()) as AccessReport;

      // Then it says where they stand per purpose, with the data each purpose uses
      expect(response.status).toBe(200);
      expect(report.purposes.find((p) => p.purpose === 'marketing.email')).toMatchObject({
        allowed: false,
        basis: 'consent',
        dataCategories: expect.arrayContaining([expect.any(String)]),
        decidedBy: { action: 'WITHDRAW' },
      });
      expect(report.purposes.find((p) => p.purpose === 'transactional')).toMatchObject({
        basis: 'contract',
      });
      // And every choice, the notice text shown, and what the email platform was told
      expect(report.choices.map((c) => [c.purpose, c.action])).toEqual([
        ['marketing.email', 'GRANT'],
        ['marketing.email', 'WITHDRAW'],
      ]);
      expect(report.notices).toEqual([
        expect.objectContaining({ noticeId: 'newsletter', title: 'Newsletter', text }),
      ]);
      expect(report.downstreamSystemsTold).toContainEqual(
        expect.objectContaining({ system: 'email-platform', told: 'suppressed' }),
      );
      expect(report.recordIntact).toBe(true);
    });

    it('prints the access report as a page a person can read on a phone, escaped and framed by nothing', async () => {
      const html = await call(`${auditUrl}/v1/subjects/${subjectId}/access-report?format=html`);
      const page = await html.text();

      expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(page).toMatch(/<html lang="en">/);
      expect(page).toMatch(/<meta name="viewport" content="width=device-width/);
      expect(page).toContain('<h1>Your consent record</h1>');
      expect(page).toContain('must not use your data');
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toContain('<script>');
      // And only a key with the audit scope gets it
      const refused = await call(
        `${auditUrl}/v1/subjects/${subjectId}/access-report`,
        {},
        TEST_READ_ONLY_KEY,
      );
      expect(refused.status).toBe(403);
    });
  });
});
