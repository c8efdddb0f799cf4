import { Client } from 'pg';
import { consentTopics, createKafkaClient } from '@consent-ledger/kafka';
import {
  choiceRequest,
  deadLetterCodesFor,
  downstreamSystemsKeyedByEmail,
  topicsHolding,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { VendorRequest } from '@consent-ledger/testing';
import { wholePipelineForThisFile } from './whole-pipeline';

describe('a vendor keyed by email address, against the real stack', () => {
  const { system: running, api } = wholePipelineForThisFile({
    DOWNSTREAM_SYSTEMS_FILE: downstreamSystemsKeyedByEmail(),
  });
  const grantEmailMarketing = async (subjectId: string) =>
    expect(
      (
        await api(
          'POST',
          '/v1/consent-events',
          choiceRequest(subjectId, 'marketing.email', 'GRANT'),
        )
      ).status,
    ).toBe(202);
  const emailCalls = (path: string): VendorRequest[] =>
    running().emailPlatform.requests.filter(
      (request) => request.path === path && request.status < 300,
    );

  it('is told by the address from the vault, which never travels on a topic', async () => {
    // Given a person whose email address is in the vault
    const subjectId = uniqueName('keyed-by-email');
    const email = `${subjectId}@vendor-keys.example.com`;
    expect((await api('PUT', `/v1/subjects/${subjectId}/identifiers`, { email })).status).toBe(200);

    // When they agree to email marketing and then withdraw
    for (const action of ['GRANT', 'WITHDRAW'] as const)
      expect(
        (
          await api(
            'POST',
            '/v1/consent-events',
            choiceRequest(subjectId, 'marketing.email', action),
          )
        ).status,
      ).toBe(202);

    // Then the email platform hears both by the address, and never by the subject id
    const calls = await waitFor(
      () => {
        const found = emailCalls('/subscription/status/set').filter((request) =>
          (request.body.email as string[] | undefined)?.includes(email),
        );
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 60_000, description: 'the email platform told by email address' },
    );
    expect(calls.map((request) => request.body.subscription_state)).toEqual([
      'subscribed',
      'unsubscribed',
    ]);
    expect(calls.every((request) => request.body.external_id === undefined)).toBe(true);
    // ...while the CRM still knows the person by the pseudonymous subject id
    await waitFor(
      () =>
        running().crm.requests.some((request) =>
          request.path.includes(encodeURIComponent(subjectId)),
        ),
      { description: 'the CRM told by subject id' },
    );

    // And the address is on no topic: it was opened at call time only
    const kafka = createKafkaClient(running().environment.config.kafka, 'vendor-identifiers');
    const holding = await topicsHolding(kafka, running().environment.config.kafka.topicPrefix, [
      email,
    ]);
    expect(holding.filter((topic) => topic.found.length > 0)).toEqual([]);
  });

  it('dead-letters, with its reason, an update for someone the vault holds no address of', async () => {
    const subjectId = uniqueName('no-address');
    await grantEmailMarketing(subjectId);
    const kafka = createKafkaClient(running().environment.config.kafka, 'vendor-identifiers');
    const topics = consentTopics(running().environment.config.kafka.topicPrefix);
    expect(await deadLetterCodesFor(kafka, topics.sinkDeadLetter, subjectId)).toEqual([
      'SUBJECT.NO_VENDOR_IDENTIFIER',
    ]);
  });

  it('holds the erased subject key until the platform deleted the person by address, then destroys it', async () => {
    // Given a person with an address in the vault, known to the email platform
    const subjectId = uniqueName('erase-by-email');
    const email = `${subjectId}@vendor-keys.example.com`;
    expect((await api('PUT', `/v1/subjects/${subjectId}/identifiers`, { email })).status).toBe(200);
    await grantEmailMarketing(subjectId);

    // While the platform answers every delete with 503
    running().emailPlatform.script((request) =>
      request.path === '/users/delete' ? { status: 503 } : undefined,
    );
    const requested = await api('POST', `/v1/subjects/${subjectId}/erasure`, {});

    // Then the erasure holds the key for the email platform alone, and the address is suppressed
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({
      status: 'KEY_HELD',
      keyDestroyedAt: null,
      keyHeldFor: ['email-platform'],
      keyHeldUntil: expect.any(String),
    });
    expect(await api('POST', '/v1/subjects/lookup', { email })).toMatchObject({
      status: 200,
      body: { erased: true },
    });
    expect((await api('GET', `/v1/subjects/${subjectId}/identifiers`)).body).toEqual({
      subjectId,
      identifiers: {},
    });
    await waitFor(
      () =>
        running().emailPlatform.requests.some(
          (request) => request.path === '/users/delete' && request.status === 503,
        ),
      { timeoutMs: 60_000, description: 'a refused delete' },
    );
    expect((await api('GET', `/v1/subjects/${subjectId}/erasure`)).body.status).toBe('KEY_HELD');

    // When the platform takes deletes again
    running().emailPlatform.script(() => undefined);

    // Then it deletes the person by address, once, and the key is destroyed
    const done = await waitFor(
      async () => {
        const status = await api('GET', `/v1/subjects/${subjectId}/erasure`);
        return status.body.status === 'COMPLETED' ? status.body : undefined;
      },
      { timeoutMs: 90_000, description: 'the erasure completed' },
    );
    expect(done).toMatchObject({ keyDestroyedAt: expect.any(String) });
    expect(done.keyHeldFor).toBeUndefined();
    expect(
      emailCalls('/users/delete').filter((request) =>
        (request.body.email_addresses as string[]).includes(email),
      ),
    ).toHaveLength(1);
    const client = new Client({ connectionString: running().environment.config.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ keys: number }>(
        'SELECT count(*)::int AS keys FROM subject_data_key WHERE subject_id = $1',
        [subjectId],
      );
      expect(rows).toEqual([{ keys: 0 }]);
    } finally {
      await client.end();
    }
  });
});
