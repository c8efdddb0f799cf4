import { foldEvents } from '@consent-ledger/consent-domain';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  ACKS_ALL,
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
  deadLetterHeaders,
  valueSubject,
} from '@consent-ledger/kafka';
import {
  ConsentReadModelRepository,
  createDataSource,
  migrateDatabase,
} from '@consent-ledger/persistence';
import {
  createTestEnvironment,
  linkedEvents,
  randomConsentEvent,
  readTopicUntil,
  startAppProcess,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { ReadRecord, AppProcess, TestEnvironment } from '@consent-ledger/testing';
import type { Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { expectStandingsOfReadModel, keptCounts } from './standing-counts';

const TOTAL_EVENTS = 10_000;
const SUBJECTS = 800;
const purposes = [
  'marketing',
  'marketing.email',
  'marketing.sms',
  'ads.targeted',
  'ml.training',
  'data.sale_sharing',
];
const jurisdictions = ['DE', 'FR', 'GB', 'US-CA', 'US-VA', 'BR'];

/** Grants and withdrawals of every kind the fold knows: parent purposes, expiries, minors. */
const randomEvent = (index: number, subjectId: string): ConsentEvent =>
  randomConsentEvent(index, subjectId, { purposes, jurisdictions, expiring: 0.1, minors: 0.05 });

describe('projector (child process) against the real stack', () => {
  let environment: TestEnvironment;
  let kafka: Kafka;
  let producer: Producer;
  let serde: AvroSerde;
  let dataSource: DataSource;
  let projector: AppProcess | undefined;
  const topics = () => consentTopics(environment.config.kafka.topicPrefix);

  const startProjector = (): AppProcess =>
    startAppProcess('apps/projector/src/main.ts', environment.overrides);

  const appliedCount = async (): Promise<number> =>
    Number((await dataSource.query('SELECT count(*) AS n FROM consent_event'))[0].n);

  const produce = async (events: readonly ConsentEvent[]) => {
    const subject = valueSubject(topics().events);
    for (let start = 0; start < events.length; start += 500) {
      const chunk = events.slice(start, start + 500);
      const messages = await Promise.all(
        chunk.map(async (event) => ({
          key: event.subjectId,
          value: await serde.encode(subject, event),
        })),
      );
      await producer.send({ topic: topics().events, acks: ACKS_ALL, messages });
    }
  };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    kafka = createKafkaClient(environment.config.kafka, 'projector-int-spec');
    serde = AvroSerde.connect(environment.config.schemaRegistry);
    await bootstrapKafka(environment.config, kafka, serde);
    producer = createDurableProducer(kafka);
    await producer.connect();
    dataSource = createDataSource(environment.config.database);
    await migrateDatabase(dataSource);
  });

  afterEach(() => {
    projector?.kill();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await environment?.dispose();
  });

  it('killed with SIGKILL mid-stream and restarted, leaves the fold of all events with none applied twice', async () => {
    const subjects = Array.from({ length: SUBJECTS }, () => uniqueName('s'));
    const events = linkedEvents(
      Array.from({ length: TOTAL_EVENTS }, (_, index) =>
        randomEvent(index, subjects[index % SUBJECTS]!),
      ),
    );
    await produce(events.slice(0, TOTAL_EVENTS / 2));

    projector = startProjector();
    const appliedAtKill = await waitFor(
      async () => {
        const applied = await appliedCount();
        return applied >= 500 ? applied : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 10,
        description: `the projector to apply events (output: ${projector?.output().slice(-500)})`,
      },
    );
    projector.kill('SIGKILL');
    expect(appliedAtKill).toBeLessThan(TOTAL_EVENTS);

    await produce(events.slice(TOTAL_EVENTS / 2));
    projector = startProjector();
    await waitFor(async () => (await appliedCount()) === TOTAL_EVENTS, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: 'all events applied after the restart',
    });

    const distinct = await dataSource.query(
      'SELECT count(DISTINCT event_id) AS n, count(*) AS total FROM consent_event',
    );
    expect(Number(distinct[0].n)).toBe(TOTAL_EVENTS);
    const checkpoints = await dataSource.query(
      `SELECT sum(next_offset) AS next FROM projection_checkpoint WHERE topic = $1`,
      [topics().events],
    );
    expect(Number(checkpoints[0].next)).toBe(TOTAL_EVENTS);

    const states = await new ConsentReadModelRepository().loadStates(dataSource.manager, subjects);
    for (const subjectId of subjects) {
      const expected = foldEvents(events.filter((event) => event.subjectId === subjectId));
      expect({ subjectId, state: states.get(subjectId) }).toEqual({ subjectId, state: expected });
    }

    // The dashboard's counters, kept in the checkpoint's transaction, survived the kill exactly
    await expectStandingsOfReadModel(dataSource, environment.config, events);

    // Counted again from the read model (as after a taxonomy change), they come out the same
    const before = await keptCounts(dataSource);
    await dataSource.query(`UPDATE consent_standing_basis SET fingerprint = 'another taxonomy'`);
    projector.kill();
    projector = startProjector();
    await waitFor(
      async () =>
        (await dataSource.query(`SELECT fingerprint FROM consent_standing_basis`))[0]
          ?.fingerprint !== 'another taxonomy',
      { timeoutMs: 60_000, intervalMs: 100, description: 'the standings counted again' },
    );
    expect(await keptCounts(dataSource)).toEqual(before);
    await expectStandingsOfReadModel(dataSource, environment.config, events);
  });

  it('dead-letters poison records (not Avro, wrong key, refused by PostgreSQL) with their reasons and applies the events behind them', async () => {
    const subjectId = uniqueName('poisoned');
    const mismatched = randomEvent(4, uniqueName('other'));
    // Valid Avro that PostgreSQL refuses (NUL in text), written straight to the topic. They are
    // links of the subject's chain: the events after them link to them and still apply.
    const [before, nulActor, nulEvidence, ...after] = linkedEvents([
      randomEvent(1, subjectId),
      { ...randomEvent(5, subjectId), actor: { type: 'AGENT', id: 'agent\u0000x' } },
      {
        ...randomEvent(6, subjectId),
        evidence: { ipAddressHash: null, userAgent: 'Mozilla\u0000', reference: null },
      },
      randomEvent(2, subjectId),
      randomEvent(3, subjectId),
    ]) as [ConsentEvent, ConsentEvent, ConsentEvent, ...ConsentEvent[]];
    await produce([before]);
    await producer.send({
      topic: topics().events,
      acks: ACKS_ALL,
      messages: [
        { key: subjectId, value: Buffer.from('{"not":"avro"}') },
        { key: subjectId, value: await serde.encode(valueSubject(topics().events), mismatched) },
      ],
    });
    await produce([nulActor, nulEvidence]);
    await produce(after);
    projector = startProjector();

    await waitFor(
      async () => {
        const rows = await dataSource.query(
          'SELECT count(*) AS n FROM consent_event WHERE subject_id = $1',
          [subjectId],
        );
        return Number(rows[0].n) === 3;
      },
      { timeoutMs: 90_000, description: 'the events around the poison records applied' },
    );

    const letters: Array<{ code: string; offset: string; key: string }> = [];
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: topics().deadLetter, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          code: String(message.headers?.[deadLetterHeaders.code]),
          offset: String(message.headers?.[deadLetterHeaders.sourceOffset]),
          key: String(message.key),
        });
      },
    });
    try {
      await waitFor(() => letters.length >= 4, {
        timeoutMs: 30_000,
        description: 'four dead letters',
      });
    } finally {
      await consumer.disconnect();
    }
    expect(letters.map((letter) => letter.code).sort()).toEqual([
      'RECORD.DATA_REFUSED',
      'RECORD.DATA_REFUSED',
      'RECORD.KEY_MISMATCH',
      'RECORD.NOT_AVRO',
    ]);
    expect(letters.every((letter) => letter.key === subjectId)).toBe(true);
  });

  it("checks each event's link on the way in: a forged grant is held back, a forged withdrawal applied, both reported", async () => {
    const subjectId = uniqueName('chained');
    const grant = (index: number): ConsentEvent => ({
      ...randomEvent(index, subjectId),
      // In order: the fold takes the latest choice by when it was made.
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, index)),
      recordedAt: new Date(Date.UTC(2026, 0, 1, 0, index)),
      purpose: 'marketing.email',
      action: 'GRANT' as const,
      method: 'BANNER' as const,
      notice: { noticeId: 'privacy', version: '3', textSha256: 'cd'.repeat(32) },
      expiresAt: null,
      ageBand: null,
    });
    const heads = new Map<string, string>();
    const [first] = linkedEvents([grant(1)], heads);
    // Produced straight to the topic, linked to nothing the subject has.
    const forgedGrant = { ...grant(2), purpose: 'ads.targeted', previousEventHash: 'f'.repeat(64) };
    const forgedWithdrawal: ConsentEvent = {
      ...grant(3),
      action: 'WITHDRAW',
      method: 'PREFERENCE_CENTRE',
      notice: null,
      previousEventHash: 'e'.repeat(64),
    };
    // The writer's next event links to the last one it wrote, which the forgeries did not move.
    const [genuine] = linkedEvents([{ ...grant(4), purpose: 'ml.training' }], heads);
    await produce([first!, forgedGrant, forgedWithdrawal, genuine!]);
    projector = startProjector();

    await waitFor(
      async () => {
        const rows: Array<{ event_id: string }> = await dataSource.query(
          'SELECT event_id FROM consent_event WHERE subject_id = $1',
          [subjectId],
        );
        return rows.length === 3 ? rows.map((row) => row.event_id).sort() : undefined;
      },
      {
        timeoutMs: 90_000,
        description: () =>
          `the events around the forged grant applied (output: ${projector?.output().slice(-800)})`,
      },
    );
    const held: Array<{ n: string }> = await dataSource.query(
      'SELECT count(*) AS n FROM consent_event WHERE event_id = $1',
      [forgedGrant.eventId],
    );
    expect(Number(held[0]!.n)).toBe(0);
    const states = await new ConsentReadModelRepository().loadStates(dataSource.manager, [
      subjectId,
    ]);
    const choices = states.get(subjectId)!.choices;
    expect(choices['ads.targeted']).toBeUndefined();
    expect(choices['marketing.email']?.action).toBe('WITHDRAW');
    expect(choices['ml.training']?.action).toBe('GRANT');

    const ofSubject = (records: readonly ReadRecord[]) =>
      records.filter((record) => record.key === subjectId);
    const letters = ofSubject(
      await readTopicUntil(kafka, topics().deadLetter, (records) => ofSubject(records).length >= 2),
    );
    expect(letters.map((letter) => letter.headers[deadLetterHeaders.code]).sort()).toEqual([
      'CHAIN.BROKEN_LINK',
      'CHAIN.BROKEN_LINK_APPLIED',
    ]);
    expect(letters.map((letter) => letter.headers[deadLetterHeaders.reason]).join('\n')).toMatch(
      /links to ffffffffffff…, but the subject's last applied event hashes to/,
    );
  });
});
