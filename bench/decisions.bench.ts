/**
 * Decision API throughput and latency: single decisions at a fixed rate, batch decisions, the
 * same app's no-op route (same key check and body handling, no decision) as the baseline and a
 * bare Node server as the machine's floor, in the same run. Two load generators, each in a process
 * of its own: a constant-rate one (bench/constant-rate-load.mjs, request i due at i / rate, latency
 * from that due time, as wrk2 measures) and autocannon, whose `overallRate` sends each connection's
 * share of a second back to back at the start of the second.
 * `npm run bench -- decisions [--rate 2000] [--seconds 30] [--subjects 20000] [--connections 10]`
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import {
  createTestEnvironment,
  startAppProcess,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { AppProcess } from '@consent-ledger/testing';
import { printTable, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '30' },
    subjects: { type: 'string', default: '20000' },
    'batch-size': { type: 'string', default: '1000' },
    'batch-rate': { type: 'string', default: '20' },
    // autocannon's own default: a keep-alive pool of ten, as a calling service would hold.
    connections: { type: 'string', default: '10' },
  },
});

const API_PORT = 3931;
const DECISION_PORT = 3932;
const BARE_PORT = 3933;

/**
 * The machine's floor: a bare Node HTTP server (no framework) in its own process that parses the
 * same JSON body and answers, measured with the same tool, rate and connections.
 */
const BARE_SERVER = `require('node:http').createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ ok: true, subjectId: JSON.parse(body).subjectId }));
  });
}).listen(${BARE_PORT}, '127.0.0.1');`;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` };
const jurisdictions = ['DE', 'FR', 'GB', 'US-CA', 'US-VA', 'BR'];
const purposes = [
  'marketing.email',
  'ml.training',
  'ads.targeted',
  'personalization.recommendations',
];

/** bench/constant-rate-load.mjs or autocannon (bench/load-generator.mjs). */
type Generator = 'constant rate' | 'autocannon';

interface Figures {
  readonly measurement: string;
  readonly generator: Generator;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Runs a load generator in its own process with the bodies given. */
function run(
  generator: Generator,
  title: string,
  rate: number,
  seconds: number,
  path: string,
  body: (index: number) => unknown,
  port = DECISION_PORT,
): Promise<Figures> {
  const specFile = join(mkdtempSync(join(tmpdir(), 'load-')), 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      url: `http://127.0.0.1:${port}${path}`,
      headers,
      connections: Number(options.connections),
      rate,
      seconds,
      bodies: Array.from({ length: Math.min(rate * seconds, 20_000) }, (_, index) =>
        JSON.stringify(body(index)),
      ),
    }),
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        generator === 'autocannon' ? 'bench/load-generator.mjs' : 'bench/constant-rate-load.mjs',
        specFile,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load generator failed: ${error.message}\n${stderr}`));
        if (generator === 'autocannon') {
          const result = JSON.parse(stdout) as autocannon.Result;
          return resolve({
            measurement: title,
            generator,
            requestsPerSecond: result.requests.average,
            p50Ms: result.latency.p50,
            p99Ms: result.latency.p99,
            maxMs: result.latency.max,
            non2xx: result.non2xx,
            errors: result.errors,
          });
        }
        const result = JSON.parse(stdout) as ConstantRateResult;
        resolve({
          measurement: title,
          generator,
          requestsPerSecond: result.requestsPerSecond,
          p50Ms: round(result.latencyMs.p50),
          p99Ms: round(result.latencyMs.p99),
          maxMs: round(result.latencyMs.max),
          non2xx: result.non2xx,
          errors: result.errors,
        });
      },
    );
  });
}

/** What bench/constant-rate-load.mjs prints. */
interface ConstantRateResult {
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function main(): Promise<void> {
  const rate = Number(options.rate);
  const seconds = Number(options.seconds);
  const subjectCount = Number(options.subjects);
  const batchSize = Number(options['batch-size']);
  const environment = await createTestEnvironment({ HTTP_PORT: String(API_PORT) });
  const apps: AppProcess[] = [
    startAppProcess('apps/consent-api/src/main.ts', environment.overrides),
    startAppProcess('apps/projector/src/main.ts', { ...environment.overrides, HTTP_PORT: '0' }),
  ];
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${API_PORT}/health`).then((r) => r.ok), {
      timeoutMs: 60_000,
      description: 'the consent API',
    });
    // Seed: one event per subject, across regimes and purposes, through the API and projector.
    const run_ = uniqueName('d');
    const subjects = Array.from({ length: subjectCount }, (_, index) => `${run_}-${index}`);
    process.stdout.write(`seeding ${subjectCount} subjects through the API\n`);
    for (let start = 0; start < subjects.length; start += 1000) {
      const events = subjects.slice(start, start + 1000).map((subjectId, offset) => {
        const index = start + offset;
        const grant = index % 3 !== 0;
        return {
          subjectId,
          purpose: purposes[index % purposes.length],
          action: grant ? 'GRANT' : 'WITHDRAW',
          jurisdiction: jurisdictions[index % jurisdictions.length],
          channel: 'WEB',
          method: grant ? 'BANNER' : 'PREFERENCE_CENTRE',
          ...(grant
            ? { notice: { noticeId: 'privacy', version: '3', textSha256: 'ef'.repeat(32) } }
            : {}),
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          idempotencyKey: subjectId,
        };
      });
      const response = await fetch(`http://127.0.0.1:${API_PORT}/v1/consent-events/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ events }),
      });
      if (response.status !== 202)
        throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
    }
    apps.push(
      // As in production: compiled JavaScript (bench/run.sh builds it), no TypeScript compiler.
      startAppProcess(
        'apps/decision-api/src/main.ts',
        {
          ...environment.overrides,
          HTTP_PORT: String(DECISION_PORT),
        },
        { compiled: true },
      ),
    );
    // Ready when every seeded subject's decision is in the view: the projector and its outbox
    // are then idle, and only the decision API works during the measurements.
    const decisionsSeen = async (purpose: string, ids: string[]) => {
      const response = await fetch(`http://127.0.0.1:${DECISION_PORT}/v1/decisions/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ purpose, subjectIds: ids }),
      });
      if (!response.ok) return false;
      const { decisions } = (await response.json()) as {
        decisions: Array<{ decidingEventId: string | null }>;
      };
      return decisions.every((decision) => decision.decidingEventId !== null);
    };
    await waitFor(
      async () => {
        for (const [offset, purpose] of purposes.entries()) {
          const ids = subjects.filter((_, index) => index % purposes.length === offset);
          for (let start = 0; start < ids.length; start += 5000) {
            if (!(await decisionsSeen(purpose, ids.slice(start, start + 5000)))) return false;
          }
        }
        return true;
      },
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        description: 'the decision view to hold every seeded subject',
      },
    );

    const single = (index: number) => ({
      subjectId: subjects[(index * 7919) % subjects.length],
      purpose: purposes[index % purposes.length],
    });
    process.stdout.write(`warm-up, then ${seconds} s per measurement at ${rate}/s\n`);
    await run('constant rate', 'warm-up', rate, 5, '/v1/decisions', single);
    const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: 'ignore' });
    const generators: Generator[] = ['constant rate', 'autocannon'];
    const singles: Array<{ floor: Figures; noOp: Figures; decisions: Figures }> = [];
    try {
      await waitFor(
        () =>
          fetch(`http://127.0.0.1:${BARE_PORT}/`, { method: 'POST', body: '{}' }).then((r) => r.ok),
        { timeoutMs: 10_000, description: 'the bare Node server' },
      );
      for (const generator of generators) {
        const floor = await run(
          generator,
          'bare Node http server (machine floor)',
          rate,
          seconds,
          '/',
          single,
          BARE_PORT,
        );
        const noOp = await run(
          generator,
          'no-op route of the decision API (baseline)',
          rate,
          seconds,
          '/v1/no-op',
          single,
        );
        const decisions = await run(
          generator,
          'POST /v1/decisions',
          rate,
          seconds,
          '/v1/decisions',
          single,
        );
        singles.push({ floor, noOp, decisions });
      }
    } finally {
      bare.kill();
    }
    const batchRate = Number(options['batch-rate']);
    const batch = await run(
      'constant rate',
      `POST /v1/decisions/batch (${batchSize} subjects)`,
      batchRate,
      seconds,
      '/v1/decisions/batch',
      (index) => ({
        purpose: purposes[index % purposes.length],
        subjectIds: Array.from(
          { length: batchSize },
          (_, offset) => subjects[(index * batchSize + offset) % subjects.length],
        ),
      }),
    );
    const rows = [...singles.flatMap((one) => [one.floor, one.noOp, one.decisions]), batch];
    printTable(
      rows.map((row) => ({
        measurement: row.measurement,
        load: row.generator,
        'req/s': row.requestsPerSecond.toFixed(0),
        'decisions/s': (row === batch
          ? row.requestsPerSecond * batchSize
          : row.requestsPerSecond
        ).toFixed(0),
        'p50 ms': row.p50Ms,
        'p99 ms': row.p99Ms,
        'max ms': row.maxMs,
        'non-2xx': row.non2xx,
        errors: row.errors,
      })),
    );
    // The bar is read at a fixed rate: the constant-rate generator's figures.
    const [constant, bursts] = singles as [(typeof singles)[0], (typeof singles)[0]];
    const results = {
      when: new Date().toISOString(),
      machine: { cores: cpus().length },
      load: {
        rate,
        seconds,
        subjects: subjectCount,
        batchSize,
        batchRate,
        connections: Number(options.connections),
        tools: {
          'constant rate': 'bench/constant-rate-load.mjs (own process; latency from due time)',
          autocannon: 'autocannon overallRate (own process; per-second bursts)',
        },
      },
      constantRate: constant,
      autocannon: bursts,
      batch: { ...batch, decisionsPerSecond: batch.requestsPerSecond * batchSize },
      p99OverBaselineMs: round(constant.decisions.p99Ms - constant.noOp.p99Ms),
      bar: {
        rate: 2000,
        p99Ms: 10,
        load: 'constant rate',
        met:
          constant.decisions.requestsPerSecond >= 0.98 * rate &&
          constant.decisions.p99Ms <= 10 &&
          constant.decisions.non2xx === 0 &&
          constant.decisions.errors === 0,
      },
    };
    process.stdout.write(
      `\nbar (2,000 single decisions/s at p99 <= 10 ms, constant rate): ${results.bar.met ? 'met' : 'NOT met'} (p99 ${constant.decisions.p99Ms} ms; autocannon's bursts: ${bursts.decisions.p99Ms} ms); decision p99 - no-op p99 = ${results.p99OverBaselineMs} ms\nJSON: ${writeResults('decisions', results)}\n`,
    );
  } catch (error) {
    apps.forEach((app) => process.stderr.write(`--- app output:\n${app.output()}\n`));
    throw error;
  } finally {
    apps.forEach((app) => app.kill());
    await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
