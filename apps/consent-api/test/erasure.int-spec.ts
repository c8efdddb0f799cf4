import { Client } from 'pg';
import { consentTopics, createKafkaClient } from '@consent-ledger/kafka';
import {
  choiceRequest,
  columnsHolding,
  createTestEnvironment,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  TEST_READ_ONLY_KEY,
  topicsHolding,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';

/** The elements ISO/IEC TS 27560 asks of a consent record, as our export names them. */
const ISO_27560_FIELDS = [
  'schema_version',
  'record_id',
  'pii_principal_id',
  'record_state',
  'event',
  'processing',
  'notice',
  'jurisdiction',
];

describe('erasure by crypto-shredding, against the real stack', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let emailPlatform: FakeVendor;
  let crm: FakeVendor;

  const call = async (url: string, method: string, body?: unknown, key = TEST_ADMIN_KEY) => {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const api = (method: string, path: string, body?: unknown, key?: string) =>
    call(`${pipeline.url('consent-api')}${path}`, method, body, key);
  const decision = async (subjectId: string, purpose: string) =>
    (await call(`${pipeline.url('decision-api')}/v1/decisions`, 'POST', { subjectId, purpose }))
      .body;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    emailPlatform = await startFakeVendor(201);
    crm = await startFakeVendor(200);
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api', 'projector', 'connectors', 'decision-api', 'auditor'],
      overrides: { EMAIL_PLATFORM_URL: emailPlatform.url, CRM_URL: crm.url },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await Promise.all([emailPlatform?.close(), crm?.close()]);
    await environment?.dispose();
  });

  it('forgets the person everywhere, keeps the proof and the suppression, and tells each vendor once', async () => {
    // Given a person who agreed to email marketing and ML training, with an email in the vault
    const subjectId = uniqueName('to-erase');
    const email = `${subjectId}@erasure.example.com`;
    for (const purpose of ['marketing.email', 'ml.training'])
      expect(
        (await api('POST', '/v1/consent-events', choiceRequest(subjectId, purpose, 'GRANT')))
          .status,
      ).toBe(202);
    expect((await api('PUT', `/v1/subjects/${subjectId}/identifiers`, { email })).status).toBe(200);
    await waitFor(async () => (await decision(subjectId, 'marketing.email')).allowed === true, {
      description: 'the grant answered allowed',
    });

    // When they ask to be erased, and the request is sent twice
    const first = await api('POST', `/v1/subjects/${subjectId}/erasure`, {});
    const again = await api('POST', `/v1/subjects/${subjectId}/erasure`, {});

    // Then the erasure is accepted once, with the event that records it and the key destroyed
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      subjectId,
      status: expect.stringMatching(/^(KEY_DESTROYED|COMPLETED)$/),
      eraseEventId: expect.any(String),
      keyDestroyedAt: expect.any(String),
      identifiersShredded: 1,
    });
    expect(again.status).toBe(202);
    expect(again.body.eraseEventId).toBe(first.body.eraseEventId);

    // And every downstream system confirms, each told exactly once to delete the person
    const done = await waitFor(
      async () => {
        const status = await api('GET', `/v1/subjects/${subjectId}/erasure`);
        return status.body.status === 'COMPLETED' ? status.body : undefined;
      },
      { timeoutMs: 60_000, description: 'every downstream system confirmed the erasure' },
    );
    expect(done).toMatchObject({
      projected: true,
      downstream: expect.arrayContaining([
        { system: 'email-platform', confirmedAt: expect.any(String) },
        { system: 'crm', confirmedAt: expect.any(String) },
        { system: 'ml-training', confirmedAt: expect.any(String) },
      ]),
    });
    const deletes = (vendor: FakeVendor, path: string) =>
      vendor.requests.filter((request) => request.path === path && request.status < 300);
    expect(deletes(emailPlatform, '/users/delete').map((request) => request.body)).toEqual([
      { external_ids: [subjectId] },
    ]);
    expect(
      deletes(crm, '/crm/v3/objects/contacts/gdpr-delete').map((request) => request.body),
    ).toEqual([{ objectId: subjectId, idProperty: 'external_id' }]);
    // ...beside the suppression of each purpose it had agreed to
    expect(
      emailPlatform.requests.some(
        (request) =>
          request.path === '/subscription/status/set' &&
          request.body.subscription_state === 'unsubscribed' &&
          (request.body.external_id as string[]).includes(subjectId),
      ),
    ).toBe(true);

    // And every purpose is denied, contract ones too, and nothing of theirs is recorded again
    for (const purpose of ['marketing.email', 'ml.training', 'transactional'])
      await waitFor(
        async () => {
          const answer = await decision(subjectId, purpose);
          return answer.allowed === false && answer.reason === 'SUBJECT_ERASED';
        },
        { description: `${purpose} denied as erased` },
      );
    const regrant = await api(
      'POST',
      '/v1/consent-events',
      choiceRequest(subjectId, 'marketing.email', 'GRANT'),
    );
    expect(regrant).toMatchObject({ status: 409, body: { code: 'SUBJECT.ERASED' } });

    // And the vault holds nothing of them: no key, no sealed value, nothing to give back
    expect((await api('GET', `/v1/subjects/${subjectId}/identifiers`)).body).toEqual({
      subjectId,
      identifiers: {},
    });
    const client = new Client({ connectionString: environment.config.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ keys: number; sealed: number }>(
        `SELECT (SELECT count(*)::int FROM subject_data_key WHERE subject_id = $1) AS keys,
                (SELECT count(*)::int FROM subject_identifier WHERE subject_id = $1) AS sealed`,
        [subjectId],
      );
      expect(rows).toEqual([{ keys: 0, sealed: 0 }]);
    } finally {
      await client.end();
    }

    // And the same email imported again for someone else stays suppressed
    const reimport = await api('PUT', `/v1/subjects/${uniqueName('reimported')}/identifiers`, {
      email: email.toUpperCase(),
    });
    expect(reimport).toMatchObject({
      status: 409,
      body: { code: 'IDENTIFIER.ERASED', errors: [{ field: 'email', code: 'IDENTIFIER.ERASED' }] },
    });
    expect((await api('POST', '/v1/subjects/lookup', { email })).body).toEqual({
      subjectIds: [],
      erased: true,
    });

    // And the pseudonymous history and its hash chain stay: the log still verifies clean
    const verify = await call(`${pipeline.url('auditor')}/v1/audit/verify`, 'GET');
    expect(verify.body).toMatchObject({ consistent: true, findings: [] });

    // And the consent records export as ISO/IEC TS 27560 and as W3C DPV, the erasure included
    const records = `${pipeline.url('auditor')}/v1/audit/subjects/${subjectId}/consent-records`;
    const iso = (await call(`${records}?format=iso-27560`, 'GET')).body.records as Array<
      Record<string, unknown>
    >;
    expect(iso.map((record) => record.record_state)).toEqual(['active', 'active', 'terminated']);
    for (const record of iso)
      for (const field of ISO_27560_FIELDS)
        expect({ field, present: field in record }).toEqual({ field, present: true });
    const dpv = (await call(`${records}?format=dpv`, 'GET')).body;
    expect(dpv['@context']).toMatchObject({ dpv: 'https://w3id.org/dpv#' });
    expect(
      (dpv['@graph'] as Array<Record<string, { '@type': string }>>).map(
        (record) => record['dpv:hasConsentStatus']!['@type'],
      ),
    ).toEqual(['dpv:ConsentGiven', 'dpv:ConsentGiven', 'dpv:ConsentRevoked']);
  });

  it('leaves no identifier in clear in any table, on any topic or at any vendor after a realistic workload', async () => {
    // Given people who put their identifiers into the vault, choose with evidence from their
    // browser, are asked about by a campaign, and of whom some ask to be erased
    const people = Array.from({ length: 20 }, (_, index) => ({
      subjectId: uniqueName('scanned'),
      email: `scan-person-${index}@scan.example.org`,
      phone: `+44 7700 9001${String(index).padStart(2, '0')}`,
      crmId: `CRM-SCAN-${index}`,
      deviceIds: [`DEV-SCAN-${index}`],
    }));
    const evidence = {
      ipAddressHash: '198.51.100.23',
      userAgent: 'ScanBrowser/9.9',
      reference: null,
    };
    for (const [index, { subjectId, ...identifiers }] of people.entries()) {
      expect((await api('PUT', `/v1/subjects/${subjectId}/identifiers`, identifiers)).status).toBe(
        200,
      );
      const choices: Array<[string, 'GRANT' | 'WITHDRAW']> = [
        ['marketing.email', 'GRANT'],
        ['ml.training', 'GRANT'],
        ...(index % 3 === 0 ? [['marketing.email', 'WITHDRAW'] as [string, 'WITHDRAW']] : []),
      ];
      for (const [purpose, action] of choices)
        expect(
          (
            await api('POST', '/v1/consent-events', {
              ...choiceRequest(subjectId, purpose, action),
              evidence,
            })
          ).status,
        ).toBe(202);
    }
    for (const { subjectId } of people)
      await call(`${pipeline.url('decision-api')}/v1/decisions`, 'POST', {
        subjectId,
        purpose: 'marketing.email',
        campaignId: 'spring-scan',
      });
    const erased = people.slice(0, 5).map(({ subjectId }) => subjectId);
    for (const subjectId of erased)
      expect((await api('POST', `/v1/subjects/${subjectId}/erasure`, {})).status).toBe(202);
    // When the pipeline has done its work
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          erased.map(
            async (subjectId) =>
              (await api('GET', `/v1/subjects/${subjectId}/erasure`)).body.status,
          ),
        );
        return statuses.every((status) => status === 'COMPLETED');
      },
      { timeoutMs: 60_000, description: 'every erasure confirmed downstream' },
    );
    await waitFor(
      async () => (await decision(people[19]!.subjectId, 'ml.training')).allowed === true,
      { description: 'the last grant answered' },
    );

    // Then no identifier, and no piece of evidence, is anywhere in clear
    const needles = [
      'scan-person',
      '770090',
      'CRM-SCAN',
      'DEV-SCAN',
      '198.51.100.23',
      'ScanBrowser',
    ];
    const kafka = createKafkaClient(environment.config.kafka, 'identifier-scan');
    const kept = people[7]!.subjectId;
    const gone = people[0]!.subjectId;
    const scanned = await topicsHolding(kafka, environment.config.kafka.topicPrefix, [
      ...needles,
      kept,
      gone,
    ]);
    expect(scanned.filter(({ found }) => found.some((needle) => needles.includes(needle)))).toEqual(
      [],
    );
    // (the scan read every topic, and finds what is there: the pseudonymous ids)
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    const foundOn = (topic: string) => scanned.find((entry) => entry.topic === topic)?.found;
    for (const topic of [topics.events, topics.state, topics.usage])
      expect(foundOn(topic)).toEqual([kept, gone].sort());
    expect(foundOn(topics.erasures)).toEqual([gone]);
    for (const needle of needles)
      expect({
        needle,
        holding: await columnsHolding(environment.config.database.url, needle),
      }).toEqual({
        needle,
        holding: [],
      });
    const toldVendors = JSON.stringify([...emailPlatform.requests, ...crm.requests]);
    for (const needle of needles)
      expect({ needle, told: toldVendors.includes(needle) }).toEqual({ needle, told: false });
  });

  it('is refused without its own scope, and a subject never erased has no status', async () => {
    const subjectId = uniqueName('not-erased');
    expect(
      (await api('POST', `/v1/subjects/${subjectId}/erasure`, {}, TEST_READ_ONLY_KEY)).status,
    ).toBe(403);
    expect(await api('GET', `/v1/subjects/${subjectId}/erasure`)).toMatchObject({
      status: 404,
      body: { code: 'ERASURE.NOT_FOUND' },
    });
  });
});
