/**
 * `npm run test:faults`: the promises under the faults production meets. Each scenario runs
 * under an open-loop load of withdrawals through the API on a three-broker cluster, injects one
 * fault, and is judged by the oracle (see oracle.ts). Prints a row per scenario and writes the
 * table as JSON; exits 1 if any scenario broke a promise.
 *
 *   --seed N          replay a run (the seed is printed at the start of every run)
 *   --only TEXT       run the scenarios whose name contains TEXT (repeatable)
 *   --rate N          withdrawals per second offered (default 40)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { TEST_ADMIN_KEY } from '@consent-ledger/testing';
import { printTable } from '../../bench/bench-support';
import { deadLetterCount, judge, pipelineDiagnostics } from './oracle';
import type { ScenarioResult } from './oracle';
import { OpenLoopClient } from './open-loop-client';
import { SCENARIOS, seededRandom } from './scenarios';
import type { Scenario } from './scenarios';
import { APP_PORTS, SystemUnderTest } from './system-under-test';
import type { AppName } from './system-under-test';

const APPS = Object.keys(APP_PORTS) as AppName[];
const WARM_UP_MS = 5_000;
const LOAD_AFTER_FAULT_MS = 10_000;
/** The client keeps retrying an open outcome this long after it stopped offering new ones. */
const CLIENT_RETRIES_FOR_MS = 60_000;

function parseArguments(argv: readonly string[]) {
  const options = {
    seed: Math.floor(Math.random() * 2 ** 31),
    only: [] as string[],
    rate: 40,
    kafkaVersion: 'unknown',
  };
  for (let index = 0; index < argv.length; index += 1) {
    const value = argv[index + 1];
    if (argv[index] === '--seed' && value) options.seed = Number(value);
    else if (argv[index] === '--only' && value) options.only.push(value);
    else if (argv[index] === '--rate' && value) options.rate = Number(value);
    else if (argv[index] === '--kafka-version' && value) options.kafkaVersion = value;
    else
      throw new Error(
        `unknown or incomplete argument '${argv[index]}' (see the top of fault-suite.ts)`,
      );
    index += 1;
  }
  return options;
}

const log = (message: string) =>
  process.stdout.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runScenario(
  scenario: Scenario,
  index: number,
  system: SystemUnderTest,
  random: () => number,
  rate: number,
): Promise<ScenarioResult> {
  log(`scenario ${index + 1}: ${scenario.name}`);
  const deadLettersBefore = await deadLetterCount(system.environment.overrides.KAFKA_TOPIC_PREFIX!);
  const client = new OpenLoopClient({
    apiUrl: system.url('api'),
    apiKey: TEST_ADMIN_KEY,
    ratePerSecond: rate,
    subjectPrefix: `fault${index + 1}-${Date.now().toString(36)}`,
    retryForMsAfterStop: CLIENT_RETRIES_FOR_MS,
  });
  const loadStartedAt = Date.now();
  client.start();
  await hold(WARM_UP_MS);
  // What each app says of itself while the fault lasts, in the order first said.
  const healthSeen = new Map<AppName, Set<string>>(APPS.map((app) => [app, new Set<string>()]));
  const probe = setInterval(() => {
    for (const app of APPS)
      void system.health(app).then((status) => healthSeen.get(app)!.add(status));
  }, 500);
  const faultStartedAt = Date.now();
  try {
    await scenario.inject({ system, random, hold, say: (message) => log(`  ${message}`) });
  } finally {
    clearInterval(probe);
  }
  const faultEndedAt = Date.now();
  await hold(LOAD_AFTER_FAULT_MS);
  await client.stop();
  log(`  load stopped; judging ${client.withdrawals.length} withdrawals`);
  const result = await judge(
    scenario.name,
    system,
    client.withdrawals,
    client.answers,
    { loadStartedAt, faultStartedAt, faultEndedAt },
    deadLettersBefore,
    [...healthSeen].map(([app, said]) => `${app}: ${[...said].join('/')}`).join(', '),
  );
  if (result.failures.length > 0) log(`  pipeline:\n${await pipelineDiagnostics(system)}`);
  if (result.failures.length > 0)
    for (const [app, running] of system.apps)
      log(`  ${app}'s last output:\n${running.output().slice(-3_000)}`);
  return result;
}

function printRows(results: readonly ScenarioResult[]): void {
  const rows = results.map((r) => ({
    fault: r.fault,
    offered: r.offered,
    acked: r.acknowledged,
    applied: r.applied,
    lost: r.lost,
    'set twice (same state)': r.appliedTwice,
    'p99 during (ms)': r.p99DuringFaultMs,
    'max during (ms)': r.maxDuringFaultMs,
    'recovered (s)': r.recoverySeconds,
    '/health during the fault': r.healthSeen,
    verdict: r.failures.length === 0 ? 'pass' : 'FAIL',
  }));
  printTable(rows);
  for (const r of results)
    for (const failure of r.failures) process.stdout.write(`FAIL ${r.fault}: ${failure}\n`);
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const { kafkaVersion } = options;
  log(
    `seed ${options.seed} (replay: npm run test:faults -- --seed ${options.seed}); Kafka ${kafkaVersion}; ${options.rate} withdrawals/s`,
  );
  const random = seededRandom(options.seed);
  const chosen = SCENARIOS.filter(
    (scenario) =>
      options.only.length === 0 || options.only.some((text) => scenario.name.includes(text)),
  );
  if (chosen.length === 0) throw new Error(`no scenario matches ${options.only.join(', ')}`);
  const system = await SystemUnderTest.start();
  const results: ScenarioResult[] = [];
  try {
    for (const [index, scenario] of SCENARIOS.entries())
      if (chosen.includes(scenario))
        results.push(await runScenario(scenario, index, system, random, options.rate));
  } finally {
    await system.stop().catch((error: Error) => log(`cleanup: ${error.message}`));
  }
  printRows(results);
  mkdirSync('test/faults/results', { recursive: true });
  const file = `test/faults/results/faults-kafka-${kafkaVersion}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ seed: options.seed, kafkaVersion, rate: options.rate, results }, null, 2)}\n`,
  );
  log(`results written to ${file}`);
  const failed = results.filter((r) => r.failures.length > 0).length;
  log(
    failed === 0
      ? `all ${results.length} scenarios kept every promise`
      : `${failed} scenario(s) broke a promise`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

main()
  .catch((error: Error) => {
    process.stderr.write(`fault suite failed to run: ${error.stack ?? error.message}\n`);
    process.exitCode = 2;
  })
  // Kafka clients and keep-alive sockets of the finished run must not hold the process open.
  .finally(() => process.exit());
