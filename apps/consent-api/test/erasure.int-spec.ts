import { Client } from 'pg';
import { choiceRequest, TEST_READ_ONLY_KEY, uniqueName, waitFor } from '@consent-ledger/testing';
import type { FakeVendor } from '@consent-ledger/testing';
import { wholePipelineForThisFile } from './whole-pipeline';

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
  const { system: running, call, api, decision } = wholePipelineForThisFile();

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
    expect(
      deletes(running().emailPlatform, '/users/delete').map((request) => request.body),
    ).toEqual([{ external_ids: [subjectId] }]);
    expect(
      deletes(running().crm, '/crm/v3/objects/contacts/gdpr-delete').map((request) => request.body),
    ).toEqual([{ objectId: subjectId, idProperty: 'external_id' }]);
    // ...beside the suppression of each purpose it had agreed to
    expect(
      running().emailPlatform.requests.some(
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
    const client = new Client({ connectionString: running().environment.config.database.url });
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
    const verify = await call(`${running().pipeline.url('auditor')}/v1/audit/verify`, 'GET');
    expect(verify.body).toMatchObject({ consistent: true, findings: [] });

    // And a replay of the log tells the same story: allowed before the erasure, erased after it
    const replay = async (asOf: string) =>
      (
        await call(
          `${running().pipeline.url('auditor')}/v1/audit/replay?asOf=${encodeURIComponent(asOf)}&subjectId=${subjectId}&purpose=marketing.email,transactional`,
          'GET',
        )
      ).body.rows as Array<{ purpose: string; allowed: boolean; reason: string }>;
    const erasedAt = Date.parse(first.body.requestedAt as string);
    expect(
      (await replay(new Date(erasedAt - 1).toISOString())).map((row) => [row.purpose, row.allowed]),
    ).toEqual([
      ['marketing.email', true],
      ['transactional', true],
    ]);
    expect(await replay(new Date().toISOString())).toEqual([
      expect.objectContaining({
        purpose: 'marketing.email',
        allowed: false,
        reason: 'SUBJECT_ERASED',
      }),
      expect.objectContaining({
        purpose: 'transactional',
        allowed: false,
        reason: 'SUBJECT_ERASED',
      }),
    ]);

    // And the consent records export as ISO/IEC TS 27560 and as W3C DPV, the erasure included
    const records = `${running().pipeline.url('auditor')}/v1/audit/subjects/${subjectId}/consent-records`;
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
