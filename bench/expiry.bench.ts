/**
 * Many grants expiring at one instant: how fast the API's expiry schedule records their EXPIRE
 * events, how late the last one is, and what it costs the other writes meanwhile (single
 * withdrawals sent at a steady rate, their latency in the 10 s before the instant beside the
 * latency while the expiries are written). `npm run bench -- expiry [--grants 100000]
 * [--probe-rate 50] [--lead-seconds 90]`
 */
import { parseArgs } from 'node:util';
import { createDataSource } from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  startAppProcess,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import { percentile, printTable, withConcurrency, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    grants: { type: 'string', default: '100000' },
    'probe-rate': { type: 'string', default: '50' },
    'lead-seconds': { type: 'string', default: '90' },
  },
});

const API_PORT = 3908;
const baseUrl = `http://127.0.0.1:${API_PORT}`;
const BATCH = 1_000;

async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 202)
    throw new Error(`POST ${path}: HTTP ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

const event = (subjectId: string, action: 'GRANT' | 'WITHDRAW', expiresAt?: number) => ({
  subjectId,
  purpose: 'marketing.email',
  action,
  jurisdiction: 'DE',
  channel: 'WEB',
  method: 'PREFERENCE_CENTRE',
  ...(action === 'GRANT'
    ? { notice: { noticeId: 'privacy', version: '3', textSha256: 'ef'.repeat(32) } }
    : {}),
  occurredAt: new Date(Date.now() - 1_000).toISOString(),
  ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
  idempotencyKey: `${subjectId}-${action}`,
});

/** Single withdrawals at a steady rate until stopped: when each was sent and how long it took. */
function probe(run: string, ratePerSecond: number) {
  const samples: Array<{ sentAt: number; ms: number }> = [];
  let sent = 0;
  const timer = setInterval(() => {
    const subjectId = `${run}-probe-${(sent += 1)}`;
    const sentAt = Date.now();
    void post('/v1/consent-events', event(subjectId, 'WITHDRAW')).then(() =>
      samples.push({ sentAt, ms: Date.now() - sentAt }),
    );
  }, 1_000 / ratePerSecond);
  const latencies = (from: number, to: number) => {
    const ms = samples
      .filter(({ sentAt }) => sentAt >= from && sentAt < to)
      .map((sample) => sample.ms)
      .sort((a, b) => a - b);
    return { writes: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
  };
  return { stop: () => clearInterval(timer), latencies };
}

type DataSource = ReturnType<typeof createDataSource>;
type Counter = (sql: string, parameters?: unknown[]) => Promise<number>;

/** Writes `count` grants expiring at `instant` through the API, and waits until they are projected. */
async function writeGrants(run: string, count: number, instant: number, countOf: Counter) {
  const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, count - b * BATCH) }, (_, i) =>
      event(`${run}-${b * BATCH + i}`, 'GRANT', instant),
    ),
  );
  await withConcurrency(batches, 4, (events) => post('/v1/consent-events/batch', { events }));
  await waitFor(
    async () =>
      (await countOf('SELECT count(*) AS n FROM consent_choice WHERE expires_at = $1', [
        new Date(instant),
      ])) === count,
    { timeoutMs: 600_000, intervalMs: 500, description: 'every grant in the read model' },
  );
  if (Date.now() > instant - 12_000)
    throw new Error('the grants took too long to write: raise --lead-seconds');
}

/** From 10 s before the instant until every EXPIRE is projected: the figures. */
async function measureExpiries(
  run: string,
  count: number,
  instant: number,
  dataSource: DataSource,
) {
  const countOf = counter(dataSource);
  const probing = probe(run, Number(options['probe-rate']));
  await waitFor(
    async () =>
      (await countOf(`SELECT count(*) AS n FROM consent_event WHERE action = 'EXPIRE'`)) === count,
    { timeoutMs: 900_000, intervalMs: 200, description: 'every EXPIRE in the read model' },
  );
  const lastProjectedAfterMs = Date.now() - instant;
  // The withdrawals still in flight answer.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  probing.stop();
  const [recorded] = (await dataSource.query(
    `SELECT min(recorded_at) AS first, max(recorded_at) AS last FROM consent_event
      WHERE action = 'EXPIRE'`,
  )) as Array<{ first: Date; last: Date }>;
  const lastRecordedAfterMs = recorded!.last.getTime() - instant;
  return {
    when: new Date().toISOString(),
    machine: { cores: (await import('node:os')).cpus().length },
    grants: count,
    firstRecordedAfterMs: recorded!.first.getTime() - instant,
    lastRecordedAfterMs,
    expiriesPerSecond: Math.round(count / (lastRecordedAfterMs / 1_000)),
    lastProjectedAfterMs,
    otherWrites: {
      before: probing.latencies(instant - 10_000, instant),
      during: probing.latencies(instant, recorded!.last.getTime()),
    },
  };
}

function counter(dataSource: DataSource): Counter {
  return async (sql, parameters = []) =>
    Number(((await dataSource.query(sql, parameters)) as Array<{ n: string }>)[0]!.n);
}

function print(results: Awaited<ReturnType<typeof measureExpiries>>): void {
  const latency = (phase: 'before' | 'during') => {
    const { p50Ms, p99Ms, writes } = results.otherWrites[phase];
    return `${p50Ms} / ${p99Ms} ms (${writes})`;
  };
  printTable([
    {
      measurement: 'first EXPIRE recorded after the instant',
      value: `${results.firstRecordedAfterMs} ms`,
    },
    {
      measurement: 'last EXPIRE recorded after the instant',
      value: `${results.lastRecordedAfterMs} ms`,
    },
    { measurement: 'expiries recorded per second', value: results.expiriesPerSecond },
    {
      measurement: 'last EXPIRE in the read model after',
      value: `${results.lastProjectedAfterMs} ms`,
    },
    { measurement: 'a single withdrawal before (p50 / p99, n)', value: latency('before') },
    { measurement: 'a single withdrawal during (p50 / p99, n)', value: latency('during') },
  ]);
}

async function main(): Promise<void> {
  const count = Number(options.grants);
  const environment = await createTestEnvironment({ HTTP_PORT: String(API_PORT) });
  const compiled = { compiled: true };
  const api = startAppProcess('apps/consent-api/src/main.ts', environment.overrides, compiled);
  const projector = startAppProcess(
    'apps/projector/src/main.ts',
    { ...environment.overrides, HTTP_PORT: '3909' },
    compiled,
  );
  const dataSource = createDataSource(environment.config.database);
  try {
    await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
      timeoutMs: 60_000,
      description: () => `the API (${api.output().slice(-400)})`,
    });
    await dataSource.initialize();
    const run = uniqueName('expiry-bench');
    const instant = Date.now() + Number(options['lead-seconds']) * 1_000;
    process.stdout.write(`${count} grants expiring at ${new Date(instant).toISOString()}\n`);
    await writeGrants(run, count, instant, counter(dataSource));
    const results = await measureExpiries(run, count, instant, dataSource);
    print(results);
    process.stdout.write(`results: ${writeResults('expiry', results)}\n`);
  } finally {
    api.kill('SIGTERM');
    projector.kill('SIGTERM');
    await dataSource.destroy().catch(() => undefined);
    await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
