import { Client } from 'pg';
import { consentTopics, createKafkaClient } from '@consent-ledger/kafka';
import {
  choiceRequest,
  columnsHolding,
  createTestEnvironment,
  recordsHolding,
  startPipeline,
  TEST_ADMIN_KEY,
  TEST_READ_ONLY_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { Pipeline, TestEnvironment } from '@consent-ledger/testing';

describe('identity vault against the real stack', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let baseUrl: string;

  const call = async (method: string, path: string, body?: unknown, key = TEST_ADMIN_KEY) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    pipeline = await startPipeline({ environment, apps: ['consent-api', 'projector'] });
    baseUrl = pipeline.url('consent-api');
  });

  afterAll(async () => {
    await pipeline?.stop();
    await environment?.dispose();
  });

  it('keeps a subject’s identifiers sealed, gives them back, and finds the subject by any of them', async () => {
    // Given a subject's identifiers put into the vault
    const subjectId = uniqueName('vaulted');
    const put = await call('PUT', `/v1/subjects/${subjectId}/identifiers`, {
      email: 'Alice.Vaulted@Example.com',
      phone: '+49 30 9876543',
      crmId: 'crm-vaulted-00042',
      deviceIds: ['device-vaulted-a', 'device-vaulted-b'],
    });
    expect(put).toEqual({
      status: 200,
      body: { subjectId, stored: ['EMAIL', 'PHONE', 'CRM_ID', 'DEVICE_ID'] },
    });

    // When they are read back and looked up, written another way
    const read = await call('GET', `/v1/subjects/${subjectId}/identifiers`);
    const byEmail = await call('POST', '/v1/subjects/lookup', {
      email: ' alice.vaulted@example.COM ',
    });
    const byPhone = await call('POST', '/v1/subjects/lookup', { phone: '0049 (30) 987-6543' });
    const byDevice = await call('POST', '/v1/subjects/lookup', { deviceId: 'device-vaulted-b' });
    const byStranger = await call('POST', '/v1/subjects/lookup', { email: 'nobody@example.com' });

    // Then the values come back normalised, and every lookup finds the subject
    expect(read.body).toEqual({
      subjectId,
      identifiers: {
        email: 'alice.vaulted@example.com',
        phone: '+49309876543',
        crmId: 'crm-vaulted-00042',
        deviceIds: ['device-vaulted-a', 'device-vaulted-b'],
      },
    });
    expect([byEmail.body, byPhone.body, byDevice.body]).toEqual([
      { subjectIds: [subjectId], erased: false },
      { subjectIds: [subjectId], erased: false },
      { subjectIds: [subjectId], erased: false },
    ]);
    expect(byStranger.body).toEqual({ subjectIds: [], erased: false });

    // And no table of the database holds any of them in clear (the scan does find what is there)
    expect(await columnsHolding(environment.config.database.url, subjectId)).toEqual(
      expect.arrayContaining(['subject_data_key.subject_id', 'subject_identifier.subject_id']),
    );
    for (const needle of [
      'alice.vaulted',
      'Alice.Vaulted',
      '9876543',
      'crm-vaulted',
      'device-vaulted',
    ])
      expect({
        needle,
        holding: await columnsHolding(environment.config.database.url, needle),
      }).toEqual({
        needle,
        holding: [],
      });
  });

  it('rotates the key-encryption key while identifiers are being written, and loses none', async () => {
    // Given subjects in the vault, and more being put while the key rotates
    const email = (subjectId: string) => `${subjectId}@rotation.example.com`;
    const put = (subjectId: string) =>
      call('PUT', `/v1/subjects/${subjectId}/identifiers`, { email: email(subjectId) });
    const before = Array.from({ length: 60 }, () => uniqueName('before-rotation'));
    await Promise.all(before.map(put));
    const during = Array.from({ length: 60 }, () => uniqueName('during-rotation'));

    // When the key-encryption key is rotated
    const [rotation, ...writes] = await Promise.all([
      call('POST', '/v1/vault/key-encryption-key/rotations', {}),
      ...during.map(put),
    ]);

    // Then every data key is wrapped by the new key, and every identifier still opens
    expect(rotation.status).toBe(200);
    expect(writes.every((write) => write.status === 200)).toBe(true);
    const kekId = rotation.body.kekId as string;
    const client = new Client({ connectionString: environment.config.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ kek_id: string; keys: number }>(
        'SELECT kek_id, count(*)::int AS keys FROM subject_data_key GROUP BY kek_id',
      );
      expect(rows).toEqual([{ kek_id: kekId, keys: expect.any(Number) }]);
    } finally {
      await client.end();
    }
    for (const subjectId of [...before, ...during]) {
      const read = await call('GET', `/v1/subjects/${subjectId}/identifiers`);
      expect(read.body.identifiers).toEqual({ email: email(subjectId) });
    }
    // And only an admin key may rotate
    expect(
      (await call('POST', '/v1/vault/key-encryption-key/rotations', {}, TEST_READ_ONLY_KEY)).status,
    ).toBe(403);
  });

  it('keyed-hashes personal evidence before it reaches Kafka, the read model or a table', async () => {
    // Given two people's choices made from the same browser and address
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) EvidenceBrowser/7.1';
    const ipAddress = '203.0.113.77';
    const subjects = [uniqueName('evidenced'), uniqueName('evidenced')];
    for (const subjectId of subjects) {
      const recorded = await call('POST', '/v1/consent-events', {
        ...choiceRequest(subjectId, 'marketing.email', 'GRANT'),
        evidence: { ipAddressHash: ipAddress, userAgent, reference: 'banner v2' },
      });
      expect(recorded.status).toBe(202);
    }

    // When they have been projected
    const evidenceOf = async (subjectId: string) => {
      const page = await call('GET', `/v1/subjects/${subjectId}/events`);
      const events = page.body.events as Array<{ evidence: Record<string, string> }>;
      return events[0]?.evidence;
    };
    const evidence = await waitFor(
      async () => {
        const both = await Promise.all(subjects.map(evidenceOf));
        return both.every(Boolean) ? both : undefined;
      },
      { description: 'both choices projected' },
    );

    // Then each field is a keyed hash, the same for the same browser, and the rest is kept
    expect(evidence[0]).toEqual({
      ipAddressHash: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
      userAgent: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
      reference: 'banner v2',
    });
    expect(evidence[1]).toEqual(evidence[0]);
    // And neither value is anywhere in clear: not on the events or state topics, not in a table
    const kafka = createKafkaClient(environment.config.kafka, 'evidence-scan');
    const topics = consentTopics(environment.config.kafka.topicPrefix);
    for (const needle of ['EvidenceBrowser', ipAddress]) {
      expect({
        needle,
        events: await recordsHolding(kafka, topics.events, needle),
        tables: await columnsHolding(environment.config.database.url, needle),
      }).toEqual({ needle, events: 0, tables: [] });
    }
    // (the scan finds what is there)
    expect(await recordsHolding(kafka, topics.events, subjects[0]!)).toBeGreaterThan(0);
  });

  it('replaces only the kinds a request gives', async () => {
    const subjectId = uniqueName('vaulted');
    await call('PUT', `/v1/subjects/${subjectId}/identifiers`, {
      email: 'first@example.com',
      crmId: 'crm-1',
    });

    await call('PUT', `/v1/subjects/${subjectId}/identifiers`, { email: 'second@example.com' });

    expect((await call('GET', `/v1/subjects/${subjectId}/identifiers`)).body.identifiers).toEqual({
      email: 'second@example.com',
      crmId: 'crm-1',
    });
    expect(
      (await call('POST', '/v1/subjects/lookup', { email: 'first@example.com' })).body,
    ).toEqual({ subjectIds: [], erased: false });
  });

  it('answers only keys with the identity scopes, and refuses malformed identifiers naming the field', async () => {
    const subjectId = uniqueName('vaulted');
    const refused = [
      await call(
        'PUT',
        `/v1/subjects/${subjectId}/identifiers`,
        { email: 'a@example.com' },
        TEST_READ_ONLY_KEY,
      ),
      await call('GET', `/v1/subjects/${subjectId}/identifiers`, undefined, TEST_READ_ONLY_KEY),
      await call('POST', '/v1/subjects/lookup', { email: 'a@example.com' }, TEST_READ_ONLY_KEY),
    ];
    expect(refused.map(({ status, body }) => [status, body.code])).toEqual([
      [403, 'AUTH.MISSING_SCOPE'],
      [403, 'AUTH.MISSING_SCOPE'],
      [403, 'AUTH.MISSING_SCOPE'],
    ]);

    const badEmail = await call('PUT', `/v1/subjects/${subjectId}/identifiers`, {
      email: 'not-an-address',
    });
    const twoAtOnce = await call('POST', '/v1/subjects/lookup', {
      email: 'a@example.com',
      crmId: 'x',
    });
    expect(badEmail.body).toMatchObject({ status: 400, errors: [{ field: 'email' }] });
    expect(twoAtOnce.status).toBe(400);
  });
});
