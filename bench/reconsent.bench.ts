/**
 * Re-consent requests sent through the email platform: how fast a campaign selects its audience
 * and the API's lifecycle sender sends (each message: the person's latest choices read, a signed
 * preference-centre link, the vendor's transactional send, the lifecycle record, the row marked),
 * beside the baseline of the same fake vendor called directly with as many calls in flight.
 * `npm run bench -- reconsent [--people 20000] [--sends-per-second 10000] [--vendor-ms 20]`
 */
import { parseArgs } from 'node:util';
import { createDataSource } from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  startAppProcess,
  startFakeVendor,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { FakeVendor } from '@consent-ledger/testing';
import { printTable, withConcurrency, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    people: { type: 'string', default: '20000' },
    'sends-per-second': { type: 'string', default: '10000' },
    'vendor-ms': { type: 'string', default: '20' },
  },
});

const API_PORT = 3910;
const baseUrl = `http://127.0.0.1:${API_PORT}`;
const BATCH = 1_000;
/** The sender's calls in flight (message-delivery.ts), for the baseline. */
const IN_FLIGHT = 16;
const TRANSACTIONAL = '/transactional/v1/campaigns/consent-reconsent-request/send';

async function call(method: string, path: string, body: unknown): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.status;
}

const grant = (subjectId: string) => ({
  subjectId,
  purpose: 'marketing.email',
  action: 'GRANT',
  jurisdiction: 'DE',
  channel: 'WEB',
  method: 'PREFERENCE_CENTRE',
  notice: { noticeId: 'bench-notice', version: '1', textSha256: 'ef'.repeat(32) },
  occurredAt: new Date(Date.now() - 1_000).toISOString(),
  idempotencyKey: `${subjectId}-grant`,
});

/** The same vendor called directly, IN_FLIGHT at a time: what any sender could reach. */
async function baseline(vendor: FakeVendor, count: number): Promise<number> {
  const started = Date.now();
  const keys = Array.from({ length: count }, (_, index) => `baseline-${index}`);
  await withConcurrency(keys, IN_FLIGHT, async (key) => {
    const response = await fetch(`${vendor.url}${TRANSACTIONAL}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ external_send_id: key, recipient: { external_user_id: key } }),
    });
    await response.arrayBuffer();
  });
  return Math.round(count / ((Date.now() - started) / 1_000));
}

type DataSource = ReturnType<typeof createDataSource>;

async function writeGrants(run: string, count: number, dataSource: DataSource): Promise<void> {
  const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, count - b * BATCH) }, (_, i) =>
      grant(`${run}-${b * BATCH + i}`),
    ),
  );
  await withConcurrency(batches, 4, async (events) => {
    await call('POST', '/v1/consent-events/batch', { events });
  });
  await waitFor(
    async () => {
      const [row] = (await dataSource.query(
        `SELECT count(*) AS n FROM consent_choice WHERE notice_id = 'bench-notice'`,
      )) as Array<{ n: string }>;
      return Number(row!.n) === count;
    },
    { timeoutMs: 600_000, intervalMs: 500, description: 'every grant in the read model' },
  );
}

/** Starts the campaign and waits until the vendor took a request for every person. */
async function measureCampaign(vendor: FakeVendor, count: number, dataSource: DataSource) {
  await call('PUT', '/v1/notices/bench-notice/versions/2', { text: 'Bench notice, version 2.' });
  const sent = () => vendor.requests.filter((request) => request.path === TRANSACTIONAL).length;
  const before = sent();
  const started = Date.now();
  await call('POST', '/v1/notices/bench-notice/versions/2/re-consent', {
    gracePeriod: 'P30D',
    remindAfter: [],
  });
  let firstAt = 0;
  await waitFor(
    () => {
      if (!firstAt && sent() > before) firstAt = Date.now();
      return sent() - before >= count;
    },
    { timeoutMs: 1_800_000, intervalMs: 20, description: 'every request at the vendor' },
  );
  const lastAt = Date.now();
  const [selection] = (await dataSource.query(
    `SELECT extract(epoch FROM selected_at - started_at) * 1000 AS ms FROM reconsent_campaign
      WHERE campaign_id = 'bench-notice@2'`,
  )) as Array<{ ms: string }>;
  return {
    audienceSelectedMs: Math.round(Number(selection?.ms)),
    firstSendMs: firstAt - started,
    lastSendMs: lastAt - started,
    sendsPerSecond: Math.round(count / ((lastAt - firstAt) / 1_000)),
  };
}

/** The consent API and the projector, compiled, with the fake vendor as the email platform. */
async function startApps(vendor: FakeVendor) {
  const environment = await createTestEnvironment({
    HTTP_PORT: String(API_PORT),
    EMAIL_PLATFORM_URL: vendor.url,
    LIFECYCLE_SENDS_PER_SECOND: String(options['sends-per-second']),
  });
  const compiled = { compiled: true };
  const api = startAppProcess('apps/consent-api/src/main.ts', environment.overrides, compiled);
  const projector = startAppProcess(
    'apps/projector/src/main.ts',
    { ...environment.overrides, HTTP_PORT: '3911' },
    compiled,
  );
  await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
    timeoutMs: 60_000,
    description: () => `the API (${api.output().slice(-400)})`,
  });
  return {
    environment,
    stop: async () => {
      api.kill('SIGTERM');
      projector.kill('SIGTERM');
      await environment.dispose();
    },
  };
}

function print(results: Record<string, number | string | object>): void {
  printTable([
    { measurement: 'audience selected after', value: `${results.audienceSelectedMs} ms` },
    { measurement: 'first request at the vendor after', value: `${results.firstSendMs} ms` },
    { measurement: 'last request at the vendor after', value: `${results.lastSendMs} ms` },
    { measurement: 're-consent requests sent per second', value: String(results.sendsPerSecond) },
    {
      measurement: `baseline: the vendor called directly, ${IN_FLIGHT} in flight, per second`,
      value: String(results.baselineVendorDirectPerSecond),
    },
  ]);
}

async function main(): Promise<void> {
  const count = Number(options.people);
  const vendor = await startFakeVendor(201);
  const vendorMs = Number(options['vendor-ms']);
  vendor.script(() => (vendorMs > 0 ? { delayMs: vendorMs } : undefined));
  const apps = await startApps(vendor);
  const dataSource = createDataSource(apps.environment.config.database);
  try {
    await dataSource.initialize();
    await writeGrants(uniqueName('reconsent-bench'), count, dataSource);
    const vendorDirect = await baseline(vendor, Math.min(count, 5_000));
    const results = {
      when: new Date().toISOString(),
      machine: { cores: (await import('node:os')).cpus().length },
      people: count,
      vendorAnswerMs: vendorMs,
      sendsPerSecondLimit: Number(options['sends-per-second']),
      baselineVendorDirectPerSecond: vendorDirect,
      ...(await measureCampaign(vendor, count, dataSource)),
    };
    print(results);
    process.stdout.write(`results: ${writeResults('reconsent', results)}\n`);
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await apps.stop();
    await vendor.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
