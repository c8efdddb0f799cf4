import { execFile } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { consentTopics, retryWhileSettling } from '@consent-ledger/kafka';
import { waitFor } from '@consent-ledger/testing';
import { CLUSTER_BOOTSTRAP, CLUSTER_NODE_IDS, stack } from './system-under-test';
import type { SystemUnderTest } from './system-under-test';

/** What a scenario may use while it injects its fault. */
export interface FaultContext {
  readonly system: SystemUnderTest;
  /** The suite's seeded random numbers in [0, 1): the same seed, the same moments and choices. */
  readonly random: () => number;
  /** Lets the fault last `ms` (the fault's length, not a wait for something to happen). */
  readonly hold: (ms: number) => Promise<void>;
  /** Says what the fault is doing now, for the log. */
  readonly say: (message: string) => void;
}

export interface Scenario {
  readonly name: string;
  /** Injects the fault and undoes it; resolves when the failed part is back. */
  inject(context: FaultContext): Promise<void>;
}

/** A small seeded generator (mulberry32): the suite prints its seed so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const admin = () =>
  new Kafka({
    brokers: CLUSTER_BOOTSTRAP.split(','),
    clientId: 'fault-suite',
    logLevel: logLevel.NOTHING,
  }).admin();

/** The leader of the partition of `topic` that holds the most records. */
async function busiestPartitionLeader(
  topic: string,
): Promise<{ partition: number; leader: number }> {
  const client = admin();
  await client.connect();
  try {
    // Asked again while the cluster settles (the suite's start, a node back from a restart).
    return await retryWhileSettling(
      async () => {
        const offsets = await client.fetchTopicOffsets(topic);
        const busiest = offsets.reduce((most, next) =>
          BigInt(next.high) > BigInt(most.high) ? next : most,
        );
        const [metadata] = (await client.fetchTopicMetadata({ topics: [topic] })).topics;
        const leader = metadata!.partitions.find(
          (p) => p.partitionId === busiest.partition,
        )!.leader;
        return { partition: busiest.partition, leader };
      },
      { what: `finding the leader of ${topic}'s busiest partition`, timeoutMs: 60_000 },
    );
  } finally {
    await client.disconnect();
  }
}

/** Waits until every partition of the environment's topics has all its replicas in sync again. */
async function fullyReplicated(prefix: string): Promise<void> {
  const client = admin();
  await client.connect();
  try {
    await waitFor(
      async () => {
        const topics = (await client.listTopics()).filter((topic) => topic.startsWith(prefix));
        const { topics: metadata } = await client.fetchTopicMetadata({ topics });
        return metadata.every((topic) =>
          topic.partitions.every((p) => p.isr.length === p.replicas.length && p.leader >= 0),
        );
      },
      { timeoutMs: 120_000, intervalMs: 500, description: 'every replica back in sync' },
    );
  } finally {
    await client.disconnect();
  }
}

function restartPostgres(): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(
      'bash',
      [
        '-c',
        'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main restart',
      ],
      (error, _stdout, stderr) =>
        error ? reject(new Error(`restarting PostgreSQL: ${stderr}`)) : resolve(),
    ),
  );
}

/** Both vendors answer every call as `answer` says for `ms`, then as usual again. */
const vendorsAnswering = (
  name: string,
  saying: string,
  answer: { status?: number; delayMs?: number },
  ms: number,
): Scenario => ({
  name,
  async inject({ system, hold, say }) {
    say(saying);
    const vendors = [system.emailPlatform, system.crm];
    for (const vendor of vendors) vendor.script(() => answer);
    await hold(ms);
    for (const vendor of vendors) vendor.script(() => undefined);
  },
});

/** Kills `app` with SIGKILL twice, at random moments a few seconds apart, restarting it at once. */
const killApp = (app: 'projector' | 'connectors'): Scenario => ({
  name: `${app === 'projector' ? 'projector (and its outbox relay)' : 'connectors'} SIGKILL x2`,
  async inject({ system, random, hold, say }) {
    for (let round = 1; round <= 2; round += 1) {
      await hold(1_000 + random() * 4_000);
      say(`SIGKILL ${app} (${round} of 2)`);
      await system.killApp(app);
      await system.startApp(app);
    }
  },
});

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'leader of the busiest events partition SIGKILLed, restarted after 10 s',
    async inject({ system, hold, say }) {
      const { partition, leader } = await busiestPartitionLeader(
        consentTopics(system.environment.config.kafka.topicPrefix).events,
      );
      say(`SIGKILL node ${leader}, leader of partition ${partition}`);
      await stack('broker', 'kill', String(leader));
      await hold(10_000);
      await stack('broker', 'start', String(leader));
      await fullyReplicated(system.environment.overrides.KAFKA_TOPIC_PREFIX!);
    },
  },
  {
    name: 'rolling restart of the three brokers',
    async inject({ system, say }) {
      for (const id of CLUSTER_NODE_IDS) {
        say(`restarting node ${id}`);
        await stack('broker', 'restart', String(id));
        await fullyReplicated(system.environment.overrides.KAFKA_TOPIC_PREFIX!);
      }
    },
  },
  killApp('projector'),
  killApp('connectors'),
  {
    name: 'PostgreSQL restarted',
    async inject({ say }) {
      say('pg_ctlcluster restart');
      await restartPostgres();
      // The registry keeps its schemas in the same server; stack.sh restarts it if it did not
      // survive (the apps keep working from their schema caches meanwhile).
      await stack('registry', 'start');
    },
  },
  {
    name: 'database unreachable for 30 s',
    async inject({ system, hold, say }) {
      say('cutting every connection to PostgreSQL');
      await system.databaseProxy.cut();
      await hold(30_000);
      await system.databaseProxy.restore();
    },
  },
  {
    name: 'schema registry stopped for 30 s',
    async inject({ hold, say }) {
      say('stopping the registry');
      await stack('registry', 'stop');
      await hold(30_000);
      await stack('registry', 'start');
    },
  },
  vendorsAnswering(
    'vendors down (503) for 60 s',
    'both vendors answer 503',
    { status: 503 },
    60_000,
  ),
  vendorsAnswering(
    'vendors slow (3 s per call) for 30 s',
    'both vendors take 3 s per call',
    { delayMs: 3_000 },
    30_000,
  ),
];
