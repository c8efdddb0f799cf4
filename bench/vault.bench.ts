/**
 * The identity vault's cost, beside the write path without it in the same run: onboarding a
 * subject with an event alone, with its identifiers put into the vault as well, the vault's write
 * alone, lookups by blind index, and erasures (ERASE through the write path, then the data key
 * destroyed). `npm run bench -- vault [--subjects 2000] [--concurrency 32]`
 */
import { parseArgs } from 'node:util';
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
    subjects: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
  },
});

const API_PORT = 3905;
const baseUrl = `http://127.0.0.1:${API_PORT}`;

async function call(method: string, path: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  if (response.status !== expected)
    throw new Error(`${method} ${path}: HTTP ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

const grant = (subjectId: string) => ({
  subjectId,
  purpose: 'marketing.email',
  action: 'GRANT',
  jurisdiction: 'DE',
  channel: 'WEB',
  method: 'PREFERENCE_CENTRE',
  notice: { noticeId: 'privacy', version: '3', textSha256: 'ef'.repeat(32) },
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  evidence: { ipAddressHash: '203.0.113.9', userAgent: 'Mozilla/5.0 (bench)', reference: null },
  idempotencyKey: `${subjectId}-grant`,
});

const identifiers = (subjectId: string) => ({
  email: `${subjectId}@vault-bench.example.com`,
  phone: `+4930${String(subjectId.length * 7919).padStart(7, '0')}`,
  deviceIds: [`device-${subjectId}`],
});

interface Measured {
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `operation` for each subject, `concurrency` at a time: rate and latencies. */
async function measure(
  subjects: readonly string[],
  concurrency: number,
  operation: (subjectId: string) => Promise<void>,
): Promise<Measured> {
  const latencies: number[] = [];
  const started = performance.now();
  await withConcurrency([...subjects], concurrency, async (subjectId) => {
    const begun = performance.now();
    await operation(subjectId);
    latencies.push(performance.now() - begun);
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: subjects.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Each measurement on subjects of its own (the lookups and erasures on those put before). */
async function measureAll(group: (name: string) => string[], count: number, concurrency: number) {
  process.stdout.write(`${count} subjects per measurement, ${concurrency} in flight\n`);
  const eventOnly = await measure(group('event'), concurrency, (subjectId) =>
    call('POST', '/v1/consent-events', grant(subjectId), 202),
  );
  const withVault = await measure(group('onboard'), concurrency, async (subjectId) => {
    await call('PUT', `/v1/subjects/${subjectId}/identifiers`, identifiers(subjectId), 200);
    await call('POST', '/v1/consent-events', grant(subjectId), 202);
  });
  const vaultOnly = await measure(group('vault'), concurrency, (subjectId) =>
    call('PUT', `/v1/subjects/${subjectId}/identifiers`, identifiers(subjectId), 200),
  );
  const lookups = await measure(group('vault'), concurrency, (subjectId) =>
    call('POST', '/v1/subjects/lookup', { email: identifiers(subjectId).email }, 200),
  );
  const erasures = await measure(group('onboard'), concurrency, (subjectId) =>
    call('POST', `/v1/subjects/${subjectId}/erasure`, {}, 202),
  );

  return {
    when: new Date().toISOString(),
    machine: { cores: (await import('node:os')).cpus().length },
    subjects: count,
    concurrency,
    eventOnly,
    eventWithIdentifiers: withVault,
    identifiersOnly: vaultOnly,
    lookupByEmail: lookups,
    erasures,
  };
}

async function main(): Promise<void> {
  const count = Number(options.subjects);
  const concurrency = Number(options.concurrency);
  const environment = await createTestEnvironment({ HTTP_PORT: String(API_PORT) });
  const api = startAppProcess('apps/consent-api/src/main.ts', environment.overrides);
  try {
    await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
      timeoutMs: 60_000,
      description: 'the API',
    });
    const run = uniqueName('vault-bench');
    const group = (name: string) => Array.from({ length: count }, (_, i) => `${run}-${name}-${i}`);
    // Warm-up: connections, JIT, registry cache, the key file.
    await measure(group('warm'), concurrency, async (subjectId) => {
      await call('PUT', `/v1/subjects/${subjectId}/identifiers`, identifiers(subjectId), 200);
      await call('POST', '/v1/consent-events', grant(subjectId), 202);
    });

    const results = await measureAll(group, count, concurrency);
    const row = (measurement: string, m: Measured, unit: string) => ({
      measurement,
      [`${unit}/s`]: m.opsPerSecond.toFixed(0),
      'p50 ms': m.p50Ms.toFixed(1),
      'p99 ms': m.p99Ms.toFixed(1),
      'vs event alone': (m.opsPerSecond / results.eventOnly.opsPerSecond).toFixed(2),
    });
    printTable([
      row('baseline: one consent event (no vault)', results.eventOnly, 'subjects'),
      row('identifiers into the vault, then the event', results.eventWithIdentifiers, 'subjects'),
      row('identifiers into the vault alone', results.identifiersOnly, 'subjects'),
      row('lookup by email (blind index)', results.lookupByEmail, 'subjects'),
      row('erasure (ERASE recorded, key destroyed)', results.erasures, 'subjects'),
    ]);
    process.stdout.write(`\nJSON: ${writeResults('vault', results)}\n`);
  } finally {
    api.kill('SIGKILL');
    await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
