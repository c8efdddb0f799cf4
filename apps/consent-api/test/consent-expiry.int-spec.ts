import {
  choiceRequest,
  createTestEnvironment,
  externalIds,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';

/** How long after its expiry instant the email platform must have been told (measured ~0.2 s). */
const TOLD_WITHIN_MS = 3_000;

interface Answer {
  readonly allowed: boolean;
  readonly reason: string;
}

/**
 * Exact expiry through every app as a process of its own: a grant is answered allowed until its
 * expiry instant and denied from it by the consent API, the decision API and its audience, and
 * the EXPIRE event is recorded at that instant (no polling interval in between) and reaches the
 * email platform as a withdrawal does.
 */
describe('a grant expires at its instant, everywhere', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let emailPlatform: FakeVendor;

  const call = async (app: 'consent-api' | 'decision-api', path: string, body?: unknown) => {
    const response = await fetch(`${pipeline.url(app)}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const decisionApi = async (subjectId: string): Promise<Answer> =>
    (await call('decision-api', '/v1/decisions', { subjectId, purpose: 'marketing.email' }))
      .body as unknown as Answer;
  const consentApi = async (subjectId: string): Promise<Answer> => {
    const { body } = await call('consent-api', `/v1/subjects/${subjectId}/consents`);
    return (body.purposes as Array<Answer & { purpose: string }>).find(
      ({ purpose }) => purpose === 'marketing.email',
    )!;
  };
  const inAudience = async (subjectId: string): Promise<boolean> => {
    const { body } = await call('decision-api', '/v1/purposes/marketing.email/audience?limit=100');
    return (body.subjects as string[]).includes(subjectId);
  };
  const toldUnsubscribed = (subjectId: string) =>
    [...emailPlatform.applied.values()].find(
      (request) =>
        externalIds(request).includes(subjectId) &&
        request.body.subscription_state === 'unsubscribed',
    );

  beforeAll(async () => {
    emailPlatform = await startFakeVendor(201);
    environment = await createTestEnvironment({ EMAIL_PLATFORM_URL: emailPlatform.url });
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api', 'projector', 'connectors', 'decision-api'],
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await environment?.dispose();
    await emailPlatform?.close();
  });

  it('is allowed until its expiry and denied from it, and the email platform is told', async () => {
    const subjectId = uniqueName('expiring');
    const expiresAt = Date.now() + 4_000;
    const granted = await call('consent-api', '/v1/consent-events', {
      ...choiceRequest(subjectId, 'marketing.email', 'GRANT', {
        occurredAt: new Date().toISOString(),
      }),
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(granted.status).toBe(202);
    await waitFor(async () => (await decisionApi(subjectId)).allowed, {
      timeoutMs: 3_000,
      description: 'the grant allowed by the decision API before its expiry',
    });
    expect(await inAudience(subjectId)).toBe(true);
    expect(Date.now()).toBeLessThan(expiresAt);

    await waitFor(() => Date.now() >= expiresAt, { timeoutMs: 5_000, intervalMs: 5 });
    // From the instant on, whatever has been recorded or published yet.
    expect(await decisionApi(subjectId)).toMatchObject({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
    });
    expect(await consentApi(subjectId)).toMatchObject({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
    });
    expect(await inAudience(subjectId)).toBe(false);

    const told = await waitFor(() => toldUnsubscribed(subjectId), {
      timeoutMs: TOLD_WITHIN_MS + 5_000,
      description: 'the expiry at the email platform',
    });
    expect(told.answeredAt - expiresAt).toBeLessThan(TOLD_WITHIN_MS);

    const { body: history } = await call('consent-api', `/v1/subjects/${subjectId}/events`);
    const expiries = (history.events as Array<Record<string, unknown>>).filter(
      (event) => event.action === 'EXPIRE',
    );
    expect(expiries).toHaveLength(1);
    expect(expiries[0]).toMatchObject({
      occurredAt: new Date(expiresAt).toISOString(),
      idempotencyKey: `expire:${granted.body.eventId as string}`,
    });
    // Recorded at the instant, by the schedule's timer; and it is what the platform was told.
    expect(Date.parse(expiries[0]!.recordedAt as string) - expiresAt).toBeLessThan(1_000);
    expect(told.idempotencyKey).toBe(`${expiries[0]!.eventId as string}:marketing.email`);
  });

  it('records the expiries behind the grant of a person erased before it expired', async () => {
    const [erased, after] = [uniqueName('erased-expiring'), uniqueName('expiring-after')];
    const expiresAt = Date.now() + 3_000;
    for (const [subjectId, at] of [
      [erased, expiresAt],
      [after, expiresAt + 500],
    ] as const) {
      const granted = await call('consent-api', '/v1/consent-events', {
        ...choiceRequest(subjectId, 'marketing.email', 'GRANT', {
          occurredAt: new Date().toISOString(),
        }),
        expiresAt: new Date(at).toISOString(),
      });
      expect(granted.status).toBe(202);
    }
    expect((await call('consent-api', `/v1/subjects/${erased}/erasure`, {})).status).toBe(202);

    // The erased person's grant lapses first, and nothing of theirs may be recorded again
    const expiries = await waitFor(
      async () => {
        const { body } = await call('consent-api', `/v1/subjects/${after}/events`);
        const events = body.events as Array<{ action: string }>;
        return events.some((event) => event.action === 'EXPIRE') ? events : undefined;
      },
      { timeoutMs: 10_000, description: 'the EXPIRE of the grant after the erased one' },
    );
    expect(expiries.map(({ action }) => action)).toEqual(['GRANT', 'EXPIRE']);
  });

  it('makes a grant of a purpose to renew every 12 months lapse 12 months after it was given', async () => {
    const subjectId = uniqueName('renewing');
    const occurredAt = '2026-12-01T08:30:00.000Z';
    const granted = await call('consent-api', '/v1/consent-events', {
      ...choiceRequest(subjectId, 'ml.training', 'GRANT', { occurredAt }),
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(granted.status).toBe(202);
    const events = await waitFor(
      async () => {
        const { body } = await call('consent-api', `/v1/subjects/${subjectId}/events`);
        return (body.events as unknown[]).length > 0 ? body.events : undefined;
      },
      { description: 'the grant in the read model' },
    );
    expect(events).toMatchObject([
      { action: 'GRANT', occurredAt, expiresAt: '2027-12-01T08:30:00.000Z' },
    ]);
  });

  it('leaves a person out of a training manifest from the instant their grant expires', async () => {
    const subjectId = uniqueName('training');
    const expiresAt = Date.now() + 4_000;
    await call('consent-api', '/v1/consent-events', {
      ...choiceRequest(subjectId, 'ml.training', 'GRANT', { occurredAt: new Date().toISOString() }),
      expiresAt: new Date(expiresAt).toISOString(),
    });
    const manifest = async () => {
      const response = await fetch(`${pipeline.url('connectors')}/v1/training-manifests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({
          jobId: uniqueName('job'),
          datasetId: 'expiring-dataset',
          purpose: 'ml.training',
          subjectIds: [subjectId],
        }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { allowed: string[] }).allowed;
    };
    await waitFor(async () => (await manifest()).includes(subjectId), {
      timeoutMs: 3_000,
      description: 'the person in a manifest before the expiry',
    });
    // No EXPIRE can be recorded now (the API records them): the expiry itself must exclude.
    pipeline.process('consent-api').kill('SIGKILL');
    await waitFor(() => Date.now() >= expiresAt, { timeoutMs: 5_000, intervalMs: 5 });
    expect(await manifest()).toEqual([]);
    await pipeline.restart('consent-api');
  });
});
