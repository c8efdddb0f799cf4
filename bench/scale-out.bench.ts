/**
 * Scale out, measured in one run: an open-loop load of withdrawals through the API with one
 * projector and one connectors process, then with two of each in the same consumer groups, then
 * with two of each while one projector and one connectors process are SIGKILLed mid-run and
 * restarted (the rebalance's cost). Latency is from the API's 202 to the email platform applying
 * the update; throughput is what reached the email platform per second of the phase.
 * `npm run bench -- scale-out [--rate 1000] [--seconds 30]`
 */
import { parseArgs } from 'node:util';
import { AvroSerde, bootstrapKafka, createKafkaClient } from '@consent-ledger/kafka';
import {
  createTestEnvironment,
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
  startTimedEmailPlatform,
  waitForDrain,
  withdrawal,
  writeResults,
} from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
  },
});
const RATE = Number(options.rate);
const SECONDS = Number(options.seconds);
const API_PORT = 3941;
const baseUrl = `http://127.0.0.1:${API_PORT}`;

interface Phase {
  readonly phase: string;
  readonly offered: number;
  readonly applied: number;
  readonly appliedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** p99 of the withdrawals accepted in the 5 s after a kill (the rebalance), when there was one. */
  readonly p99AfterKillMs: number | null;
}

async function main(): Promise<void> {
  const { vendor, applied } = await startTimedEmailPlatform();
  const environment = await createTestEnvironment({
    HTTP_PORT: String(API_PORT),
    EMAIL_PLATFORM_URL: vendor.url,
    CONNECTORS: 'email-platform',
  });
  await bootstrapKafka(
    environment.config,
    createKafkaClient(environment.config.kafka, 'bench'),
    AvroSerde.connect(environment.config.schemaRegistry),
  );
  const start = (entry: string, port: string) =>
    startAppProcess(entry, { ...environment.overrides, HTTP_PORT: port }, { compiled: true });
  const projectors: AppProcess[] = [];
  const connectors: AppProcess[] = [];
  const api = start('apps/consent-api/src/main.ts', String(API_PORT));
  const addProjector = () => projectors.push(start('apps/projector/src/main.ts', '0'));
  const addConnectors = () => connectors.push(start('apps/connectors/src/main.ts', '0'));
  const run = uniqueName('s');
  const post = (subjectId: string) =>
    postJson(
      `${baseUrl}/v1/consent-events`,
      { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      JSON.stringify(withdrawal(subjectId)),
    );
  /** One withdrawal all the way through: every consumer of the groups has its partitions. */
  const throughTheWay = () =>
    waitFor(
      async () => {
        const subjectId = `${run}-probe-${Date.now()}`;
        await post(subjectId);
        await waitFor(() => applied.has(subjectId), { timeoutMs: 5_000, description: 'a probe' });
        return true;
      },
      { timeoutMs: 180_000, description: 'the pipeline to deliver a probe' },
    );

  /** Offers RATE withdrawals/s for SECONDS; `during` runs at the given second of the phase. */
  async function phase(
    name: string,
    during?: { atSecond: number; act: () => Promise<void> },
  ): Promise<Phase> {
    const accepted = new Map<string, number>();
    const total = RATE * SECONDS;
    const startedAt = performance.now();
    let killedAt: number | undefined;
    const inFlight: Array<Promise<void>> = [];
    let acted = false;
    for (let index = 0; index < total; index += 1) {
      const due = startedAt + (index * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (during && !acted && performance.now() - startedAt >= during.atSecond * 1000) {
        acted = true;
        killedAt = performance.now();
        inFlight.push(during.act());
      }
      const subjectId = `${run}-${name.length}-${index}`;
      inFlight.push(
        post(subjectId).then(
          (status) => void (status === 202 && accepted.set(subjectId, performance.now())),
          () => undefined,
        ),
      );
    }
    await Promise.all(inFlight);
    await waitForDrain([...accepted.keys()], applied, {
      timeoutMs: 600_000,
      description: `${name} to drain`,
    });
    const latencies = [...accepted]
      .flatMap(([subjectId, at]) => (applied.has(subjectId) ? [applied.get(subjectId)! - at] : []))
      .sort((a, b) => a - b);
    const afterKill =
      killedAt === undefined
        ? []
        : [...accepted]
            .filter(([, at]) => at >= killedAt! && at < killedAt! + 5_000)
            .flatMap(([subjectId, at]) =>
              applied.has(subjectId) ? [applied.get(subjectId)! - at] : [],
            )
            .sort((a, b) => a - b);
    const lastApplied = Math.max(
      ...[...accepted.keys()].map((subjectId) => applied.get(subjectId) ?? 0),
    );
    return {
      phase: name,
      offered: total,
      applied: latencies.length,
      appliedPerSecond: Math.round(latencies.length / ((lastApplied - startedAt) / 1000)),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
      p99AfterKillMs: killedAt === undefined ? null : Math.round(percentile(afterKill, 99)),
    };
  }

  const phases: Phase[] = [];
  try {
    addProjector();
    addConnectors();
    await waitFor(() => fetch(`${baseUrl}/health`).then((response) => response.ok), {
      timeoutMs: 60_000,
      description: 'the API',
    });
    await throughTheWay();
    process.stderr.write(`one projector, one connectors process: ${RATE}/s for ${SECONDS} s\n`);
    phases.push(await phase('1 projector + 1 connectors'));
    addProjector();
    addConnectors();
    await throughTheWay();
    // The new members' first rebalance is over once a probe went through after they joined.
    process.stderr.write(`two of each: ${RATE}/s for ${SECONDS} s\n`);
    phases.push(await phase('2 projectors + 2 connectors'));
    process.stderr.write(
      `two of each, one of each SIGKILLed at ${Math.round(SECONDS / 3)} s and restarted\n`,
    );
    phases.push(
      await phase('2 + 2, one of each SIGKILLed and restarted', {
        atSecond: Math.round(SECONDS / 3),
        act: async () => {
          projectors.shift()!.kill('SIGKILL');
          connectors.shift()!.kill('SIGKILL');
          addProjector();
          addConnectors();
        },
      }),
    );
  } finally {
    for (const app of [api, ...projectors, ...connectors]) app.kill('SIGKILL');
    await environment.dispose();
    await vendor.close();
  }
  printTable(
    phases.map((p) => ({
      phase: p.phase,
      offered: p.offered,
      applied: p.applied,
      'applied/s': p.appliedPerSecond,
      'p50 ms': p.p50Ms,
      'p99 ms': p.p99Ms,
      'max ms': p.maxMs,
      'p99 in the 5 s after the kill': p.p99AfterKillMs ?? '-',
    })),
  );
  process.stdout.write(
    `results: ${writeResults('scale-out', { rate: RATE, seconds: SECONDS, phases })}\n`,
  );
}

void main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
