/**
 * What the compliance dashboard's projection costs the projector: the same backlog of events
 * applied by the projector (compiled, in its own process, as in production) with the standings,
 * counters and daily tallies kept (DASHBOARD_PROJECTION=true, the default) and without (false, the
 * baseline), in alternating rounds of the same run, each round on topics and a database of its own.
 * The rate is measured from the first event applied to the last, so the process's start-up is left
 * out. `npm run bench -- projector-standings [--events 100000] [--subjects 25000] [--rounds 4]`
 */
import { parseArgs } from 'node:util';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  ACKS_ALL,
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
  valueSubject,
} from '@consent-ledger/kafka';
import { createDataSource } from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  linkedEvents,
  randomConsentEvent,
  startAppProcess,
  waitFor,
} from '@consent-ledger/testing';
import { printTable, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    events: { type: 'string', default: '100000' },
    subjects: { type: 'string', default: '25000' },
    rounds: { type: 'string', default: '4' },
  },
});
const purposes = ['marketing', 'marketing.email', 'marketing.sms', 'ads.targeted', 'ml.training'];
const jurisdictions = ['DE', 'FR', 'GB', 'US-CA', 'US-VA', 'BR', 'IT', 'ES'];

const randomEvent = (index: number, subjectId: string): ConsentEvent =>
  randomConsentEvent(index, subjectId, { purposes, jurisdictions });

/** Puts the events on the topic (each subject's in order). */
async function produce(
  kafka: ReturnType<typeof createKafkaClient>,
  serde: AvroSerde,
  topic: string,
  events: readonly ConsentEvent[],
): Promise<void> {
  const producer = createDurableProducer(kafka);
  await producer.connect();
  for (let start = 0; start < events.length; start += 2_000) {
    const messages = await Promise.all(
      events.slice(start, start + 2_000).map(async (event) => ({
        key: event.subjectId,
        value: await serde.encode(valueSubject(topic), event),
      })),
    );
    await producer.send({ topic, acks: ACKS_ALL, messages });
  }
  await producer.disconnect();
}

/** Events per second the projector applies a backlog at, with or without the standings. */
async function round(events: readonly ConsentEvent[], keepsStandings: boolean): Promise<number> {
  const environment = await createTestEnvironment();
  const kafka = createKafkaClient(environment.config.kafka, 'projector-standings-bench');
  const serde = AvroSerde.connect(environment.config.schemaRegistry);
  await bootstrapKafka(environment.config, kafka, serde);
  await produce(kafka, serde, consentTopics(environment.config.kafka.topicPrefix).events, events);
  const dataSource = createDataSource(environment.config.database);
  const projector = startAppProcess(
    'apps/projector/src/main.ts',
    { ...environment.overrides, HTTP_PORT: '3907', DASHBOARD_PROJECTION: String(keepsStandings) },
    { compiled: true },
  );
  try {
    const applied = async () => {
      if (!dataSource.isInitialized) await dataSource.initialize().catch(() => undefined);
      const rows = await dataSource
        .query('SELECT count(*) AS n FROM consent_event')
        .catch(() => []);
      return Number(rows[0]?.n ?? 0);
    };
    const first = await waitFor(async () => ((await applied()) > 0 ? Date.now() : undefined), {
      timeoutMs: 120_000,
      intervalMs: 20,
      description: () => `the projector applying (${projector.output().slice(-400)})`,
    });
    const atFirst = await applied();
    await waitFor(async () => (await applied()) === events.length, {
      timeoutMs: 600_000,
      intervalMs: 50,
      description: 'every event applied',
    });
    return (events.length - atFirst) / ((Date.now() - first) / 1000);
  } finally {
    projector.kill('SIGTERM');
    await dataSource.destroy().catch(() => undefined);
    await environment.dispose();
  }
}

async function main(): Promise<void> {
  const subjects = Array.from(
    { length: Number(options.subjects) },
    (_, i) => `b-${i.toString(36)}`,
  );
  const events = linkedEvents(
    Array.from({ length: Number(options.events) }, (_, i) =>
      randomEvent(i, subjects[i % subjects.length]!),
    ),
  );
  const measured = { with: [] as number[], without: [] as number[] };
  for (let index = 0; index < Number(options.rounds); index += 1)
    for (const keeps of index % 2 === 0 ? [false, true] : [true, false]) {
      const rate = await round(events, keeps);
      measured[keeps ? 'with' : 'without'].push(rate);
      process.stderr.write(
        `round ${index + 1}, standings ${keeps ? 'kept' : 'off'}: ${rate.toFixed(0)} events/s\n`,
      );
    }
  report(events.length, subjects.length, measured);
}

function report(events: number, subjects: number, measured: { with: number[]; without: number[] }) {
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const results = {
    events,
    subjects,
    withoutStandings: { eventsPerSecond: median(measured.without), rounds: measured.without },
    withStandings: { eventsPerSecond: median(measured.with), rounds: measured.with },
    ratio: median(measured.with) / median(measured.without),
  };
  printTable([
    {
      projector: 'standings off (baseline)',
      'events/s (median)': median(measured.without).toFixed(0),
    },
    {
      projector: 'standings kept (default)',
      'events/s (median)': median(measured.with).toFixed(0),
    },
  ]);
  process.stdout.write(`with / without: ${results.ratio.toFixed(3)}\n`);
  process.stdout.write(`${writeResults('projector-standings', results)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
