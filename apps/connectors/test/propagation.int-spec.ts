import { ConsentView } from '@consent-ledger/client';
import { loadConsentPolicy } from '@consent-ledger/config';
import { decide } from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  consentTopics,
  createKafkaClient,
  deadLetterHeaders,
} from '@consent-ledger/kafka';
import { ConsentReadModelRepository, createDataSource } from '@consent-ledger/persistence';
import type { DataSource } from 'typeorm';
import {
  choiceRequest,
  createTestEnvironment,
  deadLetterCodesFor,
  externalIds,
  fixtureDecisionRecord,
  minutesAgo,
  produceStraightToTopic,
  startAppProcess,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
  waitForProjectionSettled,
} from '@consent-ledger/testing';
import type { AppProcess, FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';

const textSha256 = 'ab'.repeat(32);

const grant = (subjectId: string, purpose = 'marketing.email') =>
  choiceRequest(subjectId, purpose, 'GRANT', {
    occurredAt: minutesAgo(2),
    notice: { noticeId: 'privacy', version: '3', textSha256 },
  });

const withdrawal = (subjectId: string, purpose = 'marketing.email') => ({
  subjectId,
  purpose,
  action: 'WITHDRAW',
  jurisdiction: 'DE',
  channel: 'EMAIL_LINK',
  method: 'UNSUBSCRIBE_LINK',
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  idempotencyKey: uniqueName('withdraw'),
});

/** The email platform's view of one subject: its last applied subscription state. */
function emailState(vendor: FakeVendor, subjectId: string): string | undefined {
  const applied = [...vendor.applied.values()].filter((request) =>
    externalIds(request).includes(subjectId),
  );
  return applied.length ? String(applied[applied.length - 1]!.body.subscription_state) : undefined;
}

describe('propagation to downstream vendors against the real stack', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let connectors: AppProcess | undefined;
  let emailPlatform: FakeVendor;
  let crm: FakeVendor;
  let baseUrl: string;

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { eventId: string };
  };
  const CONNECTORS_PORT = 3921;
  const startConnectors = () =>
    startAppProcess('apps/connectors/src/main.ts', {
      ...environment.overrides,
      HTTP_PORT: String(CONNECTORS_PORT),
    });

  beforeAll(async () => {
    emailPlatform = await startFakeVendor(201);
    crm = await startFakeVendor(200);
    environment = await createTestEnvironment({
      EMAIL_PLATFORM_URL: emailPlatform.url,
      CRM_URL: crm.url,
      SINK_MAX_ATTEMPTS: '3',
    });
    pipeline = await startPipeline({ environment, apps: ['consent-api', 'projector'] });
    baseUrl = pipeline.url('consent-api');
    connectors = startConnectors();
  });

  afterAll(async () => {
    connectors?.kill();
    await pipeline?.stop();
    await environment?.dispose();
    await emailPlatform?.close();
    await crm?.close();
  });

  it('delivers a withdrawal through the API to the email platform and the CRM', async () => {
    const subjectId = uniqueName('person');
    await post('/v1/consent-events', grant(subjectId));
    await waitFor(() => emailState(emailPlatform, subjectId) === 'subscribed', {
      timeoutMs: 60_000,
      description: `the grant at the email platform (connectors: ${connectors?.output().slice(-300)})`,
    });
    const { eventId } = await post('/v1/consent-events', withdrawal(subjectId));
    await waitFor(() => emailState(emailPlatform, subjectId) === 'unsubscribed', {
      timeoutMs: 30_000,
      description: 'the withdrawal at the email platform',
    });

    const applied = emailPlatform.applied.get(`${eventId}:marketing.email`);
    expect(applied).toMatchObject({
      method: 'POST',
      path: '/subscription/status/set',
      authorization: 'Bearer dev-email-platform-key',
    });
    expect(applied?.body).toEqual({
      subscription_group_id: 'newsletter-and-offers',
      subscription_state: 'unsubscribed',
      external_id: [subjectId],
    });

    const crmUpdate = await waitFor(() => crm.applied.get(`${eventId}:marketing.email`), {
      description: 'the withdrawal at the CRM',
    });
    expect(crmUpdate.path).toBe(`/crm/v3/objects/contacts/${subjectId}?idProperty=external_id`);
    expect(crmUpdate.body.properties).toMatchObject({
      consent_marketing_email: 'false',
      consent_marketing_email_reason: 'CONSENT_WITHDRAWN',
    });
  });

  it('retries 429 then 500 and applies the update once when the vendor recovers', async () => {
    const subjectId = uniqueName('flaky');
    const answers = [{ status: 429, headers: { 'retry-after': '0' } }, { status: 500 }];
    emailPlatform.script((request) =>
      externalIds(request).includes(subjectId) ? answers.shift() : undefined,
    );
    const { eventId } = await post('/v1/consent-events', withdrawal(subjectId));
    await waitFor(() => emailPlatform.applied.has(`${eventId}:marketing.email`), {
      timeoutMs: 30_000,
      description: 'the update after two failures',
    });
    const attempts = emailPlatform.requests.filter(
      (request) => request.idempotencyKey === `${eventId}:marketing.email`,
    );
    expect(attempts.map((request) => request.status)).toEqual([429, 500, 201]);
    emailPlatform.script(() => undefined);
  });

  it('dead-letters what a vendor always refuses, and the updates behind keep flowing', async () => {
    const doomed = uniqueName('doomed');
    emailPlatform.script((request) =>
      externalIds(request).includes(doomed) ? { status: 503 } : undefined,
    );
    await post('/v1/consent-events', withdrawal(doomed));
    // The next update once the doomed one is being retried: in a call of its own, behind it.
    await waitFor(
      () => emailPlatform.requests.some((request) => externalIds(request).includes(doomed)),
      {
        timeoutMs: 30_000,
        description: 'the first attempt of the doomed update',
      },
    );
    const after = uniqueName('after');
    const { eventId } = await post('/v1/consent-events', withdrawal(after));
    await waitFor(() => emailPlatform.applied.has(`${eventId}:marketing.email`), {
      timeoutMs: 30_000,
      description: 'the update behind the failing one',
    });

    const kafka = createKafkaClient(environment.config.kafka, 'sink-dlq-reader');
    const consumer = kafka.consumer({ groupId: uniqueName('sink-dlq') });
    const letters: Array<{ key: string; code: string; group: string }> = [];
    await consumer.connect();
    await consumer.subscribe({
      topic: consentTopics(environment.config.kafka.topicPrefix).sinkDeadLetter,
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          key: String(message.key),
          code: String(message.headers?.[deadLetterHeaders.code]),
          group: String(message.headers?.[deadLetterHeaders.consumerGroup]),
        });
      },
    });
    try {
      await waitFor(() => letters.some((letter) => letter.key === doomed), {
        timeoutMs: 30_000,
        description: 'the dead letter',
      });
    } finally {
      await consumer.disconnect();
    }
    expect(letters.find((letter) => letter.key === doomed)).toMatchObject({
      code: 'VENDOR.HTTP_503',
      group: `${environment.config.kafka.topicPrefix}connector.email-platform`,
    });
    expect(
      emailPlatform.requests.filter((request) => externalIds(request).includes(doomed)),
    ).toHaveLength(3);
    emailPlatform.script(() => undefined);
  });

  it('dead-letters an update PostgreSQL could not store, produced straight to the topic, and delivers the one behind it', async () => {
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const topic = topics.suppression('marketing.email');
    const kafka = createKafkaClient(environment.config.kafka, 'sink-poison');
    const key = uniqueName('poison-key');
    const update = (subjectId: string) =>
      fixtureDecisionRecord(subjectId, 'marketing.email', { sourceTopic: topics.events });
    const [poison, good] = [update(`${key}\u0000`), update(uniqueName('behind'))];
    // One key, so both land on one partition with the poison first.
    await produceStraightToTopic(environment.config, topic, [
      { key, value: poison },
      { key, value: good },
    ]);

    await waitFor(() => emailPlatform.applied.has(`${good.causeEventId}:marketing.email`), {
      timeoutMs: 30_000,
      description: 'the update behind the poison delivered',
    });
    const codes = await deadLetterCodesFor(kafka, topics.sinkDeadLetter, key);
    // The email platform and the CRM sinks both read the topic; each dead-letters it once.
    expect(codes.every((code) => code === 'RECORD.UNSTORABLE')).toBe(true);
  });

  it('delivers updates in shared calls and, when the vendor refuses one, dead-letters only the update it cannot take', async () => {
    const subjects = Array.from({ length: 60 }, () => uniqueName('shared'));
    const refused = subjects[17]!;
    emailPlatform.script((request) =>
      externalIds(request).includes(refused) ? { status: 422 } : undefined,
    );
    await post('/v1/consent-events/batch', {
      events: subjects.map((subjectId) => withdrawal(subjectId)),
    });
    const others = subjects.filter((subjectId) => subjectId !== refused);
    await waitFor(
      () => others.every((subjectId) => emailState(emailPlatform, subjectId) === 'unsubscribed'),
      { timeoutMs: 30_000, description: 'every other withdrawal at the email platform' },
    );
    const carrying = emailPlatform.requests.filter((request) =>
      externalIds(request).includes(refused),
    );
    // Refused in a shared call, then on its own (a refusal is not retried).
    expect(carrying.some((request) => externalIds(request).length > 1)).toBe(true);
    expect(carrying.filter((request) => externalIds(request).length === 1)).toHaveLength(1);
    expect(emailState(emailPlatform, refused)).toBeUndefined();
    const dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    try {
      // The sink records a delivery after the vendor answered: wait for the last of them.
      const delivered = () =>
        dataSource
          .query(
            `SELECT subject_id FROM sink_delivery WHERE sink = 'email-platform' AND subject_id = ANY($1)`,
            [subjects],
          )
          .then(
            (rows: Array<{ subject_id: string }>) => new Set(rows.map((row) => row.subject_id)),
          );
      await waitFor(async () => (await delivered()).size >= others.length, {
        timeoutMs: 30_000,
        description: 'every delivery recorded',
      });
      expect(await delivered()).toEqual(new Set(others));
      const [{ open }] = await dataSource.query(
        `SELECT count(*)::int AS open FROM sink_call_intent WHERE sink = 'email-platform'`,
      );
      expect(open).toBe(0);
    } finally {
      await dataSource.destroy();
    }
    emailPlatform.script(() => undefined);
  });

  describe('ML training', () => {
    const [granted, withdrawn, californian, unknown] = ['ml-a', 'ml-b', 'ml-c', 'ml-d'].map(
      (name) => uniqueName(name),
    ) as [string, string, string, string];
    const manifests = `http://127.0.0.1:${CONNECTORS_PORT}/v1/training-manifests`;
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
    };
    const request = {
      jobId: 'churn-model-2026-11',
      datasetId: 'customers-2026-11',
      purpose: 'ml.training',
      subjectIds: [granted, withdrawn, californian, unknown],
    };
    const issue = (body: unknown) =>
      fetch(manifests, { method: 'POST', headers, body: JSON.stringify(body) });
    let dataSource: DataSource;

    beforeAll(async () => {
      // Given one person who granted ML training, one who withdrew it, a Californian who never
      // chose, and one the ledger does not know
      await post('/v1/consent-events/batch', {
        events: [
          grant(granted, 'ml.training'),
          grant(withdrawn, 'ml.training'),
          {
            ...withdrawal(withdrawn, 'ml.training'),
            occurredAt: new Date(Date.now() - 30_000).toISOString(),
          },
          { ...grant(californian, 'marketing.email'), jurisdiction: 'US-CA' },
        ],
      });
      dataSource = createDataSource(environment.config.database);
      await dataSource.initialize();
      await waitFor(
        async () =>
          (
            await dataSource.query('SELECT 1 FROM consent_subject WHERE subject_id = $1', [
              californian,
            ])
          ).length === 1,
        { timeoutMs: 60_000, description: 'the Californian in the read model' },
      );
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    it('keeps the exclusion table: who may be trained on, who may not', async () => {
      await waitFor(
        async () => {
          const rows: Array<{ subject_id: string; allowed: boolean }> = await dataSource.query(
            `SELECT subject_id, allowed FROM ml_training_exclusion WHERE purpose = 'ml.training' AND subject_id = ANY($1)`,
            [[granted, withdrawn]],
          );
          return (
            rows.length === 2 && rows.find((row) => row.subject_id === withdrawn)?.allowed === false
          );
        },
        { timeoutMs: 60_000, description: 'the exclusion table' },
      );
    });

    it('issues a manifest of only the people whose data may train the model', async () => {
      const issued = await issue(request);
      expect(issued.status).toBe(201);
      const manifest = (await issued.json()) as {
        allowed: string[];
        excluded: number;
        logPosition: Record<string, string>;
      };
      // The Californian never chose: CCPA lets training proceed until they opt out; the unknown
      // subject falls under the strictest rule.
      expect(manifest.allowed).toEqual([granted, californian]);
      expect(manifest.excluded).toBe(2);
      expect(Object.keys(manifest.logPosition).length).toBeGreaterThan(0);
    });

    it('refuses a manifest for a purpose the ML pipelines do not serve', async () => {
      expect(await (await issue({ ...request, purpose: 'marketing.email' })).json()).toMatchObject({
        status: 422,
        code: 'ML.PURPOSE_NOT_SERVED',
      });
    });

    it('reports a model trained on data whose consent was withdrawn afterwards', async () => {
      // Given a manifest issued for a job
      const job = { ...request, jobId: uniqueName('job'), subjectIds: [granted] };
      const { manifestId } = (await (await issue(job)).json()) as { manifestId: string };
      // When someone in it withdraws
      await post('/v1/consent-events', {
        ...withdrawal(granted, 'ml.training'),
        occurredAt: new Date().toISOString(),
      });
      // Then the manifest is in the affected report, with that one person
      const affected = await waitFor(
        async () => {
          const response = await fetch(`${manifests}/affected`, { headers });
          const body = (await response.json()) as {
            manifests: Array<{ manifestId: string; withdrawnSubjects: number }>;
          };
          return body.manifests.find((entry) => entry.manifestId === manifestId);
        },
        { timeoutMs: 30_000, description: 'the manifest in the affected report' },
      );
      expect(affected).toMatchObject({ withdrawnSubjects: 1, jobId: job.jobId });
    });
  });

  it("the client library's answers match the read model after a burst", async () => {
    const subjects = Array.from({ length: 60 }, () => uniqueName('burst'));
    const purposes = [
      'marketing',
      'marketing.email',
      'ads.targeted',
      'ml.training',
      'data.sale_sharing',
    ];
    const events = subjects.flatMap((subjectId, index) =>
      purposes.flatMap((purpose, offset) => {
        const roll = (index * 7 + offset * 3) % 5;
        if (roll === 0) return [];
        const jurisdiction = index % 3 === 0 ? 'US-CA' : 'DE';
        const base = roll % 2 ? grant(subjectId, purpose) : withdrawal(subjectId, purpose);
        return [
          {
            ...base,
            jurisdiction,
            occurredAt: new Date(Date.now() - 100_000 + offset * 1000).toISOString(),
          },
        ];
      }),
    );
    await post('/v1/consent-events/batch', { events });

    const dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    const view = new ConsentView({
      kafka: createKafkaClient(environment.config.kafka, 'view'),
      serde: AvroSerde.connect(environment.config.schemaRegistry),
      stateTopic: consentTopics(environment.config.kafka.topicPrefix).state,
    });
    try {
      await waitForProjectionSettled(dataSource, subjects, events.length);
      await view.start();
      const { taxonomy, policy } = loadConsentPolicy(environment.config.consentPolicy);
      const states = await new ConsentReadModelRepository().loadStates(
        dataSource.manager,
        subjects,
      );
      const at = new Date();
      let compared = 0;
      for (const subjectId of subjects) {
        for (const purpose of [...taxonomy.purposes.values()]
          .filter((entry) => entry.basis === 'consent')
          .map((entry) => entry.id)) {
          const expected = decide(states.get(subjectId)!, purpose, { taxonomy, policy, at });
          const record = view.decision(subjectId, purpose);
          if (record) {
            expect({ subjectId, purpose, allowed: record.allowed, reason: record.reason }).toEqual({
              subjectId,
              purpose,
              allowed: expected.allowed,
              reason: expected.reason,
            });
            compared += 1;
          } else {
            // Nothing published: the subject never made a choice that changed this purpose.
            expect({ subjectId, purpose, sinceEventId: expected.sinceEventId }).toEqual({
              subjectId,
              purpose,
              sinceEventId: null,
            });
          }
        }
      }
      expect(compared).toBeGreaterThan(subjects.length);
      expect([...view.lag().values()].every((lag) => lag === 0)).toBe(true);
    } finally {
      await view.stop();
      await dataSource.destroy();
    }
  });

  it('misses nothing and applies nothing twice when the connectors process is SIGKILLed mid-stream', async () => {
    const subjects = Array.from({ length: 400 }, () => uniqueName('bulk'));
    const ours = (request: { body: Record<string, unknown> }) =>
      externalIds(request).some((subjectId) => subjects.includes(subjectId));
    // The first call is answered at once, the rest after a second: the process is killed with
    // calls in flight, which the vendor still applies after the caller has gone.
    let received = 0;
    let held = 0;
    emailPlatform.script((request) => {
      if (!ours(request) || (received += 1) === 1) return undefined;
      held += 1;
      return { delayMs: 1_000 };
    });
    await post('/v1/consent-events/batch', {
      events: subjects.map((subjectId) => withdrawal(subjectId)),
    });
    // Killed once an update was delivered and a call is being held: one is surely in flight.
    await waitFor(() => held > 0 && [...emailPlatform.applied.values()].some(ours), {
      timeoutMs: 60_000,
      intervalMs: 5,
      description: 'some updates delivered and a call held by the vendor',
    });
    connectors?.kill();
    const deliveredAtKill = subjects.filter((subjectId) =>
      emailState(emailPlatform, subjectId),
    ).length;
    emailPlatform.script(() => undefined);
    connectors = startConnectors();
    await waitFor(
      () => subjects.every((subjectId) => emailState(emailPlatform, subjectId) === 'unsubscribed'),
      { timeoutMs: 90_000, description: 'every withdrawal at the email platform' },
    );
    // The held calls reach the vendor after the kill by themselves; the restarted sink must still
    // send them again (it cannot know) and record every delivery, leaving no call open.
    const dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    try {
      await waitFor(
        async () => {
          const [{ recorded, open }] = await dataSource.query(
            `SELECT (SELECT count(*)::int FROM sink_position WHERE sink = 'email-platform' AND subject_id = ANY($1)) AS recorded,
                    (SELECT count(*)::int FROM sink_call_intent WHERE sink = 'email-platform') AS open`,
            [subjects],
          );
          return recorded === subjects.length && open === 0;
        },
        { timeoutMs: 90_000, description: 'every delivery recorded by the restarted sink' },
      );
    } finally {
      await dataSource.destroy();
    }
    expect(deliveredAtKill).toBeLessThan(subjects.length);
    const applied = [...emailPlatform.applied.values()];
    const perSubject = subjects.map(
      (subjectId) => applied.filter((request) => externalIds(request).includes(subjectId)).length,
    );
    expect(perSubject.every((count) => count === 1)).toBe(true);
    // Calls in flight at the kill were sent again after the restart with the same Idempotency-Key
    // (their intent was written before they were sent), so the vendor applied each once.
    const sent = emailPlatform.requests.filter(ours);
    const keysPerSubject = subjects.map(
      (subjectId) =>
        new Set(
          sent
            .filter((request) => externalIds(request).includes(subjectId))
            .map((request) => request.idempotencyKey),
        ).size,
    );
    expect(keysPerSubject.every((count) => count === 1)).toBe(true);
    const sendsPerSubject = subjects.map(
      (subjectId) => sent.filter((request) => externalIds(request).includes(subjectId)).length,
    );
    expect(sendsPerSubject.some((count) => count > 1)).toBe(true); // re-sent after the restart
    expect(sent.some((request) => externalIds(request).length > 1)).toBe(true); // in shared calls
  });

  it('sends a lone update in flight at a kill again under its own key, not regrouped with later ones', async () => {
    // Given a call carrying one update, held by the vendor when the connectors process is killed
    const alone = uniqueName('alone');
    let held = false;
    emailPlatform.script((request) => {
      if (!externalIds(request).includes(alone)) return undefined;
      held = true;
      return { delayMs: 1_000 };
    });
    await post('/v1/consent-events', withdrawal(alone));
    await waitFor(() => held, {
      timeoutMs: 60_000,
      description: 'the lone call held by the vendor',
    });
    connectors?.kill();
    emailPlatform.script(() => undefined);
    // When withdrawals arrive behind it before the restart, so that they could share its call
    const behind = Array.from({ length: 20 }, () => uniqueName('behind'));
    await post('/v1/consent-events/batch', { events: behind.map((id) => withdrawal(id)) });
    connectors = startConnectors();
    await waitFor(
      () => [alone, ...behind].every((id) => emailState(emailPlatform, id) === 'unsubscribed'),
      { timeoutMs: 90_000, description: 'every withdrawal at the email platform' },
    );
    // Then the vendor applied the lone update once: the restarted sink sent it under the same key
    const applied = [...emailPlatform.applied.values()].filter((request) =>
      externalIds(request).includes(alone),
    );
    expect(applied).toHaveLength(1);
    const keys = new Set(
      emailPlatform.requests
        .filter((request) => externalIds(request).includes(alone))
        .map((request) => request.idempotencyKey),
    );
    expect(keys.size).toBe(1);
  });

  it('delivers again within seconds of a connectors process killed and restarted at once', async () => {
    const before = uniqueName('before-kill');
    await post('/v1/consent-events', withdrawal(before));
    await waitFor(() => emailState(emailPlatform, before) === 'unsubscribed', {
      timeoutMs: 60_000,
      description: 'a withdrawal delivered before the kill',
    });
    connectors?.kill();
    const killedAt = Date.now();
    connectors = startConnectors();
    const after = uniqueName('after-kill');
    await post('/v1/consent-events', withdrawal(after));
    // The killed member holds its partitions until its session ends (30 s, before this was
    // shortened); the restarted process must get them back well before that.
    await waitFor(() => emailState(emailPlatform, after) === 'unsubscribed', {
      timeoutMs: 20_000,
      description: `the withdrawal after the restart (connectors: ${connectors?.output().slice(-300)})`,
    });
    expect(Date.now() - killedAt).toBeLessThan(20_000);
  });
});
