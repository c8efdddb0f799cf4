/**
 * The compliance dashboard's queries at the scale our users have: 1,000,000 subjects and
 * 10,000,000 events (by default), each view's queries timed (p50, p99) on the real PostgreSQL,
 * beside the baseline the projection's counters replace: counting the standings at view time.
 * The tables are filled by SQL in the shape the projector writes them (each subject's standing on a
 * few purposes, the counters those standings add up to, a year of daily tallies per purpose and
 * jurisdiction, the events, and the last five minutes of deliveries at 1,000 withdrawals/s).
 * `npm run bench -- dashboard [--subjects 1000000] [--events 10000000] [--iterations 100]`
 */
import { parseArgs } from 'node:util';
import {
  createDataSource,
  migrateDatabase,
  OperationsQueries,
  StandingQueries,
} from '@consent-ledger/persistence';
import { createTestEnvironment } from '@consent-ledger/testing';
import { percentile, printTable, writeResults } from './bench-support';
import { fillDashboardTables } from './dashboard-data';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    subjects: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '10000000' },
    iterations: { type: 'string', default: '100' },
  },
});

/** What the counters replace: the standings counted whenever the view is drawn. */
const COUNT_AT_VIEW = `SELECT purpose, jurisdiction, standing, count(*) FROM consent_standing GROUP BY 1, 2, 3`;

/** Times `work` (after two warm-up runs): p50, p99 and max in ms. */
async function timed(iterations: number, work: () => Promise<unknown>) {
  await work();
  await work();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const started = process.hrtime.bigint();
    await work();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: samples.at(-1)! };
}

async function main(): Promise<void> {
  const environment = await createTestEnvironment();
  const dataSource = createDataSource(environment.config.database);
  await migrateDatabase(dataSource);
  const subjects = Number(options.subjects);
  const filled = await fillDashboardTables(
    dataSource.manager,
    subjects,
    Number(options.events),
    (step) => process.stderr.write(`${new Date().toISOString()} ${step}\n`),
  );
  const queries = dashboardQueries(dataSource, subjects);
  const iterations = Number(options.iterations);
  const rows: Array<Record<string, string | number>> = [];
  for (const [view, query, work] of queries) {
    const figures = await timed(iterations, work);
    rows.push({
      view,
      query,
      'p50 ms': figures.p50Ms.toFixed(2),
      'p99 ms': figures.p99Ms.toFixed(2),
      'max ms': figures.maxMs.toFixed(2),
    });
  }
  printTable(rows);
  process.stdout.write(`${writeResults('dashboard', { ...filled, iterations, queries: rows })}\n`);
  await dataSource.destroy();
  await environment.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

/** Each view's queries, as the dashboard runs them, and the baseline the counters replace. */
function dashboardQueries(
  dataSource: ReturnType<typeof createDataSource>,
  subjects: number,
): Array<[string, string, () => Promise<unknown>]> {
  const standings = new StandingQueries(dataSource.manager);
  const middle = `sc-${String(Math.floor(subjects / 2)).padStart(8, '0')}`;
  return [
    ['consent by state', 'counters (the projection)', () => standings.counts()],
    ['consent by state', 'counted at view time (baseline)', () => dataSource.query(COUNT_AT_VIEW)],
    [
      'subject list',
      'ACTIVE, first page of 100',
      () => standings.members({ purpose: 'marketing.email', standing: 'ACTIVE', limit: 100 }),
    ],
    [
      'subject list',
      'ACTIVE in DE, page from the middle',
      () =>
        standings.members({
          purpose: 'marketing.email',
          standing: 'ACTIVE',
          jurisdiction: 'DE',
          after: middle,
          limit: 100,
        }),
    ],
    [
      'subject list',
      'NEVER_ASKED, first page of 100',
      () => standings.members({ purpose: 'ml.training', standing: 'NEVER_ASKED', limit: 100 }),
    ],
    ...otherQueries(dataSource),
  ];
}

/** The rates', propagation's and pending work's queries. */
function otherQueries(
  dataSource: ReturnType<typeof createDataSource>,
): Array<[string, string, () => Promise<unknown>]> {
  const standings = new StandingQueries(dataSource.manager);
  const operations = new OperationsQueries(dataSource.manager);
  const today = new Date().toISOString().slice(0, 10);
  const daysAgo = (days: number) =>
    new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
  return [
    ['rates', '30 days, all jurisdictions', () => standings.dailyTallies(daysAgo(29), today)],
    ['rates', '365 days, all jurisdictions', () => standings.dailyTallies(daysAgo(364), today)],
    [
      'propagation',
      'p50/p99 per system over 5 min',
      () => operations.propagation(300, ['email-platform', 'crm', 'ml-training']),
    ],
    ['propagation', 'calls in flight', () => operations.callsInFlight()],
    ['pending work', 'erasures in progress', () => operations.erasuresInProgress(1_000)],
  ];
}
