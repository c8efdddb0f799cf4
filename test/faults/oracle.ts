import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { Client } from 'pg';
import { consentTopics, retryWhileSettling } from '@consent-ledger/kafka';
import { childEnvironment } from '@consent-ledger/config';
import { uniqueName, waitFor } from '@consent-ledger/testing';
import type { FakeVendor } from '@consent-ledger/testing';
import { percentile } from '../../bench/bench-support';
import type { Withdrawal, Answer } from './open-loop-client';
import { CLUSTER_BOOTSTRAP } from './system-under-test';
import type { SystemUnderTest } from './system-under-test';

/** One record of the events topic as the oracle sees it. */
interface LoggedRecord {
  readonly eventId: string;
  readonly value: string;
}

/** What one scenario's run is judged by. */
export interface ScenarioWindow {
  readonly loadStartedAt: number;
  readonly faultStartedAt: number;
  readonly faultEndedAt: number;
}

export interface ScenarioResult {
  readonly fault: string;
  readonly offered: number;
  readonly acknowledged: number;
  readonly refused: number;
  readonly unknown: number;
  readonly applied: number;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly secondEvents: number;
  readonly refusedButWritten: number;
  readonly exactRepeats: number;
  readonly answers500: number;
  readonly answers503WithoutRetryAfter: number;
  readonly p99DuringFaultMs: number;
  readonly maxDuringFaultMs: number;
  readonly recoverySeconds: number;
  readonly deadLetters: number;
  readonly verify: string;
  readonly healthSeen: string;
  readonly failures: readonly string[];
}

const kafkaOf = () =>
  new Kafka({
    brokers: CLUSTER_BOOTSTRAP.split(','),
    clientId: 'fault-oracle',
    logLevel: logLevel.NOTHING,
  });

/** Every record of `topic` up to its end now, grouped by key. */
export async function readWholeTopic(topic: string): Promise<Map<string, LoggedRecord[]>> {
  const kafka = kafkaOf();
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high, low } of await endsOf(admin, topic))
      if (BigInt(high) > BigInt(low)) ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }
  const byKey = new Map<string, LoggedRecord[]>();
  if (ends.size === 0) return byKey;
  const consumer = kafka.consumer({ groupId: uniqueName('fault-oracle') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const reached = new Set<number>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString() ?? '';
      const records = byKey.get(key) ?? [];
      records.push({
        eventId: String(message.headers?.['event-id'] ?? ''),
        value: message.value?.toString('base64') ?? '',
      });
      byKey.set(key, records);
      if (BigInt(message.offset) + 1n >= ends.get(partition)!) reached.add(partition);
    },
  });
  try {
    await waitFor(() => reached.size === ends.size, {
      timeoutMs: 120_000,
      description: `the end of ${topic}`,
    });
  } finally {
    await consumer.disconnect();
  }
  return byKey;
}

/** Records in the dead-letter topics of this environment (all partitions, from their start). */
export async function deadLetterCount(prefix: string): Promise<number> {
  const admin = kafkaOf().admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      (topic) => topic.startsWith(prefix) && topic.includes('.dlq.'),
    );
    let count = 0;
    for (const topic of topics)
      for (const { high, low } of await endsOf(admin, topic))
        count += Number(BigInt(high) - BigInt(low));
    return count;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Where the pipeline stands, for a failed scenario's report: events projected, outbox rows not
 * yet relayed, deliveries recorded per sink, and each consumer group's lag.
 */
export async function pipelineDiagnostics(system: SystemUnderTest): Promise<string> {
  const lines: string[] = [];
  const database = new Client({ connectionString: system.environment.database.url });
  try {
    await database.connect();
    const { rows } = await database.query(
      `SELECT (SELECT count(*) FROM consent_event)::int AS projected,
              (SELECT count(*) FROM consent_outbox)::int AS outbox,
              (SELECT count(*) FROM unacknowledged_event)::int AS unacknowledged,
              (SELECT json_object_agg(sink, n) FROM (SELECT sink, count(*) AS n FROM sink_position GROUP BY sink) s) AS delivered`,
    );
    lines.push(`database: ${JSON.stringify(rows[0])}`);
  } catch (error) {
    lines.push(`database: ${(error as Error).message}`);
  } finally {
    await database.end().catch(() => undefined);
  }
  const admin = kafkaOf().admin();
  try {
    await admin.connect();
    const prefix = system.environment.overrides.KAFKA_TOPIC_PREFIX!;
    const { groups } = await admin.listGroups();
    for (const { groupId } of groups.filter((group) => group.groupId.startsWith(prefix))) {
      const [description] = (await admin.describeGroups([groupId])).groups;
      let lag = 0;
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
        const ends = await endsOf(admin, topic);
        for (const { partition, offset } of partitions) {
          const end = ends.find((entry) => entry.partition === partition);
          if (end) lag += Number(BigInt(end.high) - BigInt(offset === '-1' ? end.low : offset));
        }
      }
      lines.push(
        `group ${groupId.slice(prefix.length)}: ${description?.state}, ${description?.members.length} member(s), lag ${lag}`,
      );
    }
  } catch (error) {
    lines.push(`groups: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return lines.join('\n');
}

/** `auditor verify` as an operator runs it: the hash chains, and the read model against the log. */
export function runVerify(overrides: Readonly<Record<string, string>>): Promise<string> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        '-r',
        'tsconfig-paths/register',
        'apps/auditor/src/cli.ts',
        'verify',
        '--no-progress',
      ],
      {
        env: childEnvironment({ ...overrides, TS_NODE_TRANSPILE_ONLY: 'true', LOG_LEVEL: 'error' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      resolve(code === 0 ? 'consistent' : `failed (exit ${code}): ${output.trim().slice(-1_500)}`),
    );
  });
}

/** The nearest-rank percentile, 0 for no values (a fault that offered nothing in its window). */
const percentileOrZero = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : percentile(sorted, p);

/** What a vendor applied for one subject: when first, and under how many idempotency keys. */
interface AppliedUpdates {
  readonly firstAppliedAt: number;
  readonly keys: Set<string>;
}

/**
 * The withdrawals (marketing.email off) each vendor applied, by subject: from single and shared
 * calls alike (a shared call carries several subjects under one key), successful answers only.
 */
function appliedWithdrawals(vendor: FakeVendor): Map<string, AppliedUpdates> {
  const bySubject = new Map<string, AppliedUpdates>();
  const note = (subjectId: string, key: string, at: number) => {
    const entry = bySubject.get(subjectId) ?? { firstAppliedAt: at, keys: new Set<string>() };
    entry.keys.add(key);
    bySubject.set(subjectId, {
      firstAppliedAt: Math.min(entry.firstAppliedAt, at),
      keys: entry.keys,
    });
  };
  for (const request of vendor.requests) {
    if (request.status >= 300) continue;
    const key = request.idempotencyKey ?? '';
    const body = request.body as {
      external_id?: string[];
      subscription_state?: string;
      properties?: Record<string, string>;
      inputs?: Array<{ id: string; properties: Record<string, string> }>;
    };
    // The email platform: a subscription-state call naming its subjects.
    if (body.subscription_state === 'unsubscribed')
      for (const subjectId of body.external_id ?? []) note(subjectId, key, request.answeredAt);
    // The CRM: one contact patched, or a batch of them.
    const single = /^\/crm\/v3\/objects\/contacts\/([^/?]+)\?/.exec(request.path);
    if (single && body.properties?.consent_marketing_email === 'false')
      note(decodeURIComponent(single[1]!), key, request.answeredAt);
    for (const input of body.inputs ?? [])
      if (input.properties.consent_marketing_email === 'false')
        note(input.id, key, request.answeredAt);
  }
  return bySubject;
}

/**
 * Judges one scenario: every withdrawal the API acknowledged is in the log exactly once and
 * applied at each vendor once in effect, nothing definitely refused is in the log, no retry
 * wrote a second event, the dependency being down meant 503 with Retry-After (never a 500), the
 * read model equals the fold of the log, and nothing was dead-lettered.
 */
export async function judge(
  fault: string,
  system: SystemUnderTest,
  withdrawals: readonly Withdrawal[],
  answers: readonly Answer[],
  window: ScenarioWindow,
  deadLettersBefore: number,
  healthSeen: string,
): Promise<ScenarioResult> {
  const { emailPlatform, crm } = system;
  const accepted = withdrawals.filter((w) => w.outcome?.kind === 'accepted');
  let atEmail = appliedWithdrawals(emailPlatform);
  let atCrm = appliedWithdrawals(crm);
  // Deliveries may still be on their way (a slow vendor): wait for them, with a deadline.
  await waitFor(
    () => {
      atEmail = appliedWithdrawals(emailPlatform);
      atCrm = appliedWithdrawals(crm);
      return accepted.every((w) => atEmail.has(w.subjectId) && atCrm.has(w.subjectId));
    },
    {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'every accepted withdrawal at both vendors',
    },
  ).catch(() => undefined);

  const logged = await readWholeTopic(
    consentTopics(system.environment.config.kafka.topicPrefix).events,
  );
  const failures: string[] = [];
  let lost = 0;
  let notInLog = 0;
  let notAtEmail = 0;
  let notAtCrm = 0;
  let secondEvents = 0;
  let exactRepeats = 0;
  let refusedButWritten = 0;
  let appliedTwice = 0;
  let applied = 0;
  for (const withdrawal of withdrawals) {
    const records = logged.get(withdrawal.subjectId) ?? [];
    const eventIds = new Set(records.map((record) => record.eventId));
    const values = new Set(records.map((record) => record.value));
    if (eventIds.size > 1) secondEvents += 1;
    if (values.size < records.length) exactRepeats += records.length - values.size;
    if (eventIds.size === 1 && values.size > 1)
      failures.push(`${withdrawal.subjectId}: one event id, different records`);
    const outcome = withdrawal.outcome;
    if (outcome?.kind === 'refused' && records.length > 0) refusedButWritten += 1;
    if (outcome?.kind !== 'accepted') continue;
    const email = atEmail.get(withdrawal.subjectId);
    const contact = atCrm.get(withdrawal.subjectId);
    const inLog = eventIds.has(outcome.eventId);
    if (!inLog) notInLog += 1;
    if (!email) notAtEmail += 1;
    if (!contact) notAtCrm += 1;
    if (!inLog || !email || !contact) lost += 1;
    else applied += 1;
    // The same state set again by another call (same effect): counted, not a broken promise.
    if ((email?.keys.size ?? 0) > 1 || (contact?.keys.size ?? 0) > 1) appliedTwice += 1;
  }

  const latency = (w: Withdrawal) => {
    const email = atEmail.get(w.subjectId);
    return email ? email.firstAppliedAt - w.sentAt : Number.POSITIVE_INFINITY;
  };
  const steady = accepted.filter((w) => w.sentAt < window.faultStartedAt).map(latency);
  const baselineP99 = percentileOrZero(
    [...steady].sort((a, b) => a - b),
    99,
  );
  const steadyBound = Math.max(3 * baselineP99, 500);
  const during = accepted
    .filter((w) => w.sentAt >= window.faultStartedAt && w.sentAt <= window.faultEndedAt)
    .map(latency)
    .sort((a, b) => a - b);
  // Recovered: from the first moment after which every withdrawal sent reached the email
  // platform within the steady bound (three times the p99 before the fault, at least 500 ms).
  const after = accepted
    .filter((w) => w.sentAt > window.faultEndedAt)
    .sort((a, b) => a.sentAt - b.sentAt);
  let recoveredAt = window.faultEndedAt;
  for (const w of after) if (latency(w) > steadyBound) recoveredAt = w.sentAt;
  const serverErrors = answers.filter((a) => a.status >= 500 && a.status !== 503).length;
  const withoutRetryAfter = answers.filter((a) => a.status === 503 && !a.retryAfter).length;

  const deadLetters =
    (await deadLetterCount(system.environment.overrides.KAFKA_TOPIC_PREFIX!)) - deadLettersBefore;
  const verify = await runVerify({ ...system.environment.overrides });

  if (lost > 0)
    failures.push(
      `${lost} acknowledged withdrawal(s) lost: ${notInLog} not in the log, ${notAtEmail} not applied at the email platform, ${notAtCrm} not at the CRM`,
    );
  if (secondEvents > 0) failures.push(`${secondEvents} retr(ies) wrote a second event`);
  if (refusedButWritten > 0)
    failures.push(`${refusedButWritten} definitely refused withdrawal(s) in the log`);
  if (serverErrors > 0) failures.push(`${serverErrors} answer(s) of 500 or another non-503 5xx`);
  if (withoutRetryAfter > 0)
    failures.push(`${withoutRetryAfter} 503 answer(s) without Retry-After`);
  if (deadLetters > 0) failures.push(`${deadLetters} record(s) dead-lettered`);
  if (verify !== 'consistent') failures.push(`verify: ${verify}`);
  if (accepted.length === 0) failures.push('no withdrawal was acknowledged at all');

  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  return {
    fault,
    offered: withdrawals.length,
    acknowledged: accepted.length,
    refused: withdrawals.filter((w) => w.outcome?.kind === 'refused').length,
    unknown: withdrawals.filter((w) => w.outcome?.kind === 'unknown').length,
    applied,
    lost,
    appliedTwice,
    secondEvents,
    refusedButWritten,
    exactRepeats,
    answers500: serverErrors,
    answers503WithoutRetryAfter: withoutRetryAfter,
    p99DuringFaultMs: Math.round(percentileOrZero(during, 99)),
    maxDuringFaultMs: Math.round(during[during.length - 1] ?? 0),
    recoverySeconds: seconds(recoveredAt - window.faultEndedAt),
    deadLetters,
    verify: verify === 'consistent' ? 'consistent' : 'FINDINGS',
    healthSeen,
    failures,
  };
}

/**
 * Where the topic's partitions end, asked again while the cluster settles (a leader moving after
 * a node was killed or restarted answers "not the leader" for a moment).
 */
function endsOf(admin: Admin, topic: string) {
  return retryWhileSettling(() => admin.fetchTopicOffsets(topic), {
    what: `reading where ${topic} ends`,
    timeoutMs: 60_000,
  });
}
