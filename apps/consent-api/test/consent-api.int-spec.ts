import type { INestApplication } from '@nestjs/common';
import { consentTopics, createKafkaClient, hashConsentEvent } from '@consent-ledger/kafka';
import { eventFromRow } from '@consent-ledger/persistence';
import { Client } from 'pg';
import {
  createTestEnvironment,
  freezeLocalBroker,
  readTopicUntil,
  startPipeline,
  startTcpProxy,
  TEST_ADMIN_KEY,
  TEST_READ_ONLY_KEY,
  TEST_WEB_CHANNEL_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { Pipeline, TestEnvironment } from '@consent-ledger/testing';
import type { Admin } from 'kafkajs';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createConsentApi } from '../src/consent-api.factory';

const textSha256 = 'ab'.repeat(32);

function eventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subjectId: uniqueName('subject'),
    purpose: 'marketing.email',
    action: 'GRANT',
    jurisdiction: 'DE',
    channel: 'WEB',
    method: 'BANNER',
    notice: { noticeId: 'privacy', version: '3', textSha256 },
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    idempotencyKey: uniqueName('key'),
    ...overrides,
  };
}

describe('consent-api against the real stack', () => {
  let environment: TestEnvironment;
  let api: INestApplication;
  let pipeline: Pipeline;
  let baseUrl: string;
  let admin: Admin;
  let eventsTopic: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    key: string | null = TEST_ADMIN_KEY,
  ) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  };

  /** Records in the events topic: the sum of the partitions' end offsets. */
  const recordsInTopic = async () =>
    (await admin.fetchTopicOffsets(eventsTopic)).reduce(
      (sum, partition) => sum + Number(partition.high),
      0,
    );

  beforeAll(async () => {
    environment = await createTestEnvironment({
      KAFKA_ACK_TIMEOUT_MS: '2000',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
    });
    api = await createConsentApi(environment.config);
    await api.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    pipeline = await startPipeline({ environment, apps: ['projector'] });
    eventsTopic = consentTopics(environment.config.kafka.topicPrefix).events;
    admin = createKafkaClient(environment.config.kafka, 'api-int-spec').admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await pipeline?.stop();
    await api?.close();
    await environment?.dispose();
  });

  it('shows a grant and then a withdrawal through the API as withdrawn', async () => {
    const grant = eventBody();
    const granted = await call('POST', '/v1/consent-events', grant);
    expect(granted.status).toBe(202);
    await waitFor(
      async () =>
        (await call('GET', `/v1/subjects/${grant.subjectId}/consents`)).body.purposes.find(
          (p: { purpose: string }) => p.purpose === 'marketing.email',
        ).allowed === true,
      { description: 'the grant in the read model' },
    );

    const withdrawal = eventBody({
      subjectId: grant.subjectId,
      action: 'WITHDRAW',
      notice: null,
      method: 'PREFERENCE_CENTRE',
      occurredAt: new Date().toISOString(),
    });
    const withdrawn = await call('POST', '/v1/consent-events', withdrawal);
    expect(withdrawn.status).toBe(202);
    const state = await waitFor(
      async () => {
        const { body } = await call('GET', `/v1/subjects/${grant.subjectId}/consents`);
        const email = body.purposes.find(
          (p: { purpose: string }) => p.purpose === 'marketing.email',
        );
        return email.allowed === false ? body : undefined;
      },
      { description: 'the withdrawal in the read model' },
    );
    expect(
      state.purposes.find((p: { purpose: string }) => p.purpose === 'marketing.email'),
    ).toMatchObject({
      reason: 'CONSENT_WITHDRAWN',
      sinceEventId: withdrawn.body.eventId,
      regime: 'GDPR',
    });
    const history = await call('GET', `/v1/subjects/${grant.subjectId}/events`);
    expect(history.body.events.map((event: { eventId: string }) => event.eventId)).toEqual([
      granted.body.eventId,
      withdrawn.body.eventId,
    ]);
    expect(history.body.events[1].previousEventHash).toMatch(/^[0-9a-f]{64}$/);
    expect(history.body.events[0].previousEventHash).toBeNull();
  });

  it('answers as of a past moment from the recorded history, in any time zone', async () => {
    const grant = eventBody();
    const granted = await call('POST', '/v1/consent-events', grant);
    const withdrawn = await call(
      'POST',
      '/v1/consent-events',
      eventBody({
        subjectId: grant.subjectId,
        action: 'WITHDRAW',
        notice: null,
        occurredAt: new Date().toISOString(),
      }),
    );
    const history = await waitFor(
      async () => {
        const { body } = await call('GET', `/v1/subjects/${grant.subjectId}/events`);
        return body.events.length === 2 ? body.events : undefined;
      },
      { description: 'both events in the read model' },
    );
    const [grantedAt, withdrawnAt] = history.map(
      (event: { recordedAt: string }) => new Date(event.recordedAt),
    );
    const emailAsOf = async (asOf: string) => {
      const { status, body } = await call(
        'GET',
        `/v1/subjects/${grant.subjectId}/consents?asOf=${encodeURIComponent(asOf)}`,
      );
      expect(status).toBe(200);
      return body.purposes.find((p: { purpose: string }) => p.purpose === 'marketing.email');
    };
    /** The same instant written with a +05:30 offset. */
    const inKolkata = (instant: Date) =>
      `${new Date(instant.getTime() + 5.5 * 3_600_000).toISOString().slice(0, 23)}+05:30`;

    // Before its first event nothing is known of the subject: the decision view's answer too.
    expect(await emailAsOf(new Date(grantedAt.getTime() - 1).toISOString())).toMatchObject({
      allowed: false,
      reason: 'NO_CONSENT_ON_RECORD',
    });
    expect(await emailAsOf(inKolkata(grantedAt))).toMatchObject({
      allowed: true,
      sinceEventId: granted.body.eventId,
    });
    expect(await emailAsOf(inKolkata(withdrawnAt))).toMatchObject({
      allowed: false,
      reason: 'CONSENT_WITHDRAWN',
      sinceEventId: withdrawn.body.eventId,
    });

    const now = await call('GET', `/v1/subjects/${grant.subjectId}/consents`);
    const asOfNow = await call(
      'GET',
      `/v1/subjects/${grant.subjectId}/consents?asOf=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(asOfNow.body.purposes).toEqual(now.body.purposes);

    const ambiguous = await call(
      'GET',
      `/v1/subjects/${grant.subjectId}/consents?asOf=2026-03-29T02:30:00`,
    );
    expect(ambiguous.body).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'asOf' })],
    });
  });

  it('records the expiry of a lapsed grant as a system event, once', async () => {
    const body = eventBody({ expiresAt: new Date(Date.now() + 1_500).toISOString() });
    const granted = await call('POST', '/v1/consent-events', body);
    expect(granted.status).toBe(202);
    const email = await waitFor(
      async () => {
        const { body: state } = await call('GET', `/v1/subjects/${body.subjectId}/consents`);
        const decision = state.purposes.find(
          (p: { purpose: string }) => p.purpose === 'marketing.email',
        );
        return decision.reason === 'CONSENT_EXPIRED' &&
          decision.sinceEventId !== granted.body.eventId
          ? decision
          : undefined;
      },
      { timeoutMs: 30_000, description: 'the expiry event in the read model' },
    );
    const { body: history } = await call('GET', `/v1/subjects/${body.subjectId}/events`);
    const expiries = history.events.filter(
      (event: { action: string }) => event.action === 'EXPIRE',
    );
    expect(expiries).toHaveLength(1);
    expect(expiries[0]).toMatchObject({
      eventId: email.sinceEventId,
      actor: { type: 'SYSTEM', id: 'consent-expiry' },
      channel: 'SYSTEM',
      occurredAt: body.expiresAt,
      idempotencyKey: `expire:${granted.body.eventId}`,
      recordedBy: 'system:consent-expiry',
    });
    expect(email.allowed).toBe(false);
  });

  it('gives the same event for a repeated idempotency key and writes it once', async () => {
    const body = eventBody();
    const before = await recordsInTopic();
    const first = await call('POST', '/v1/consent-events', body);
    const second = await call('POST', '/v1/consent-events', body);
    expect(first.status).toBe(202);
    expect(second).toMatchObject({
      status: 202,
      body: { eventId: first.body.eventId, duplicate: true },
    });
    expect(await recordsInTopic()).toBe(before + 1);

    const reused = await call('POST', '/v1/consent-events', { ...body, purpose: 'marketing.sms' });
    expect(reused).toMatchObject({ status: 409, body: { code: 'CONSENT.IDEMPOTENCY_KEY_REUSED' } });
  });

  it('rejects invalid input with problem+json naming the field, and writes nothing', async () => {
    const before = await recordsInTopic();
    const cases: Array<[unknown, number, string, string]> = [
      [eventBody({ purpose: 'telepathy' }), 422, 'CONSENT.UNKNOWN_PURPOSE', 'purpose'],
      [eventBody({ notice: null }), 422, 'CONSENT.NOTICE_REQUIRED', 'notice'],
      [eventBody({ jurisdiction: 'Germany' }), 422, 'CONSENT.INVALID_JURISDICTION', 'jurisdiction'],
      [eventBody({ occurredAt: 'yesterday' }), 400, 'REQUEST.INVALID_FORMAT', 'occurredAt'],
      [eventBody({ colour: 'blue' }), 400, 'REQUEST.UNRECOGNIZED_KEYS', '(body)'],
      [
        { events: [eventBody(), eventBody({ action: 'MAYBE' })] },
        400,
        'REQUEST.INVALID_VALUE',
        'events[1].action',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const path =
        typeof body === 'object' && body !== null && 'events' in body
          ? '/v1/consent-events/batch'
          : '/v1/consent-events';
      const response = await call('POST', path, body);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ code, field })]),
      );
    }
    expect((await call('POST', '/v1/consent-events', '{"subjectId": ')).body).toMatchObject({
      status: 400,
      code: 'REQUEST.MALFORMED_JSON',
    });
    const oversized = {
      events: Array.from({ length: 1000 }, () =>
        eventBody({
          evidence: { userAgent: null, ipAddressHash: null, reference: 'x'.repeat(2500) },
        }),
      ),
    };
    expect((await call('POST', '/v1/consent-events/batch', oversized)).body).toMatchObject({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
    });
    expect(await recordsInTopic()).toBe(before);
  });

  it('refuses control characters, unpaired surrogates and over-long text with a 422 naming the field, and writes nothing', async () => {
    const before = await recordsInTopic();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ actor: { type: 'AGENT', id: 'agent\u0000x' } }, 'actor.id', 'REQUEST.CONTROL_CHARACTER'],
      [
        { evidence: { userAgent: 'Mozilla\u0000', ipAddressHash: null, reference: null } },
        'evidence.userAgent',
        'REQUEST.CONTROL_CHARACTER',
      ],
      [{ idempotencyKey: 'key\u0000' }, 'idempotencyKey', 'REQUEST.CONTROL_CHARACTER'],
      [{ idempotencyKey: 'k'.repeat(201) }, 'idempotencyKey', 'REQUEST.TEXT_TOO_LONG'],
      [
        { notice: { noticeId: 'privacy', version: '3\ud800', textSha256 } },
        'notice.version',
        'REQUEST.UNPAIRED_SURROGATE',
      ],
      [
        { evidence: { userAgent: null, ipAddressHash: null, reference: 'line\u001bnext' } },
        'evidence.reference',
        'REQUEST.CONTROL_CHARACTER',
      ],
    ];
    for (const [override, field, code] of cases) {
      const response = await call('POST', '/v1/consent-events', eventBody(override));
      expect({ field, status: response.status, body: response.body }).toMatchObject({
        field,
        status: 422,
        body: { code: 'REQUEST.TEXT_REFUSED', errors: [expect.objectContaining({ field, code })] },
      });
    }
    expect(await recordsInTopic()).toBe(before);
  });

  it('refuses a subject or actor id that is a direct identifier and a jurisdiction that does not exist, naming the field, and writes nothing', async () => {
    // Given the events topic as it stands
    const before = await recordsInTopic();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ subjectId: 'alice@example.com' }, 'subjectId', 'IDENTIFIER.NOT_OPAQUE'],
      [{ subjectId: '+4930123456789' }, 'subjectId', 'IDENTIFIER.NOT_OPAQUE'],
      [{ subjectId: '4111111111111111' }, 'subjectId', 'IDENTIFIER.NOT_OPAQUE'],
      [{ actor: { type: 'AGENT', id: 'bob@example.com' } }, 'actor.id', 'IDENTIFIER.NOT_OPAQUE'],
      [{ jurisdiction: 'XX-YY' }, 'jurisdiction', 'CONSENT.INVALID_JURISDICTION'],
      [{ jurisdiction: 'US-XX' }, 'jurisdiction', 'CONSENT.INVALID_JURISDICTION'],
    ];

    // When each is recorded, alone and in a batch
    for (const [override, field, code] of cases) {
      const alone = await call('POST', '/v1/consent-events', eventBody(override));
      const batched = await call('POST', '/v1/consent-events/batch', {
        events: [eventBody(), eventBody(override)],
      });

      // Then each is a 422 naming the field, which never repeats the identifier
      expect({ field, status: alone.status, errors: alone.body.errors }).toEqual({
        field,
        status: 422,
        errors: [expect.objectContaining({ field, code })],
      });
      expect(batched.status).toBe(422);
      expect(batched.body.errors).toEqual([
        expect.objectContaining({ field: `events[1].${field}`, code }),
      ]);
      expect(JSON.stringify(alone.body)).not.toMatch(/example\.com|4930123456789|4111111111111111/);
    }
    // And nothing reached the log
    expect(await recordsInTopic()).toBe(before);
  });

  it('refuses a direct identifier as the subject of a query, and a jurisdiction that does not exist', async () => {
    const byEmail = await call('GET', '/v1/subjects/alice@example.com/consents');
    const byJurisdiction = await call(
      'GET',
      `/v1/subjects/${uniqueName('subject')}/consents?jurisdiction=XX-YY`,
    );

    expect(byEmail.body).toMatchObject({
      status: 422,
      code: 'REQUEST.IDENTIFIER_REFUSED',
      errors: [expect.objectContaining({ field: 'subjectId', code: 'IDENTIFIER.NOT_OPAQUE' })],
    });
    expect(byJurisdiction.body).toMatchObject({
      status: 422,
      code: 'REQUEST.IDENTIFIER_REFUSED',
      errors: [
        expect.objectContaining({
          field: 'jurisdiction',
          code: 'IDENTIFIER.UNKNOWN_JURISDICTION',
        }),
      ],
    });
  });

  it('records which key wrote each event, keeps a key to its channels and live channels to their backdating window', async () => {
    const written = eventBody();
    expect((await call('POST', '/v1/consent-events', written)).status).toBe(202);
    const events = await waitFor(
      async () => {
        const { body: history } = await call('GET', `/v1/subjects/${written.subjectId}/events`);
        return history.events.length > 0 ? history.events : undefined;
      },
      { timeoutMs: 30_000, description: 'the event in the read model' },
    );
    expect(events).toEqual([expect.objectContaining({ recordedBy: 'admin' })]);

    const fromTheApp = await call(
      'POST',
      '/v1/consent-events',
      eventBody({ channel: 'APP' }),
      TEST_WEB_CHANNEL_KEY,
    );
    expect(fromTheApp).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'channel', code: 'CONSENT.CHANNEL_NOT_ALLOWED_FOR_KEY' }] },
    });
    const fromTheWeb = await call('POST', '/v1/consent-events', eventBody(), TEST_WEB_CHANNEL_KEY);
    expect(fromTheWeb.status).toBe(202);

    const longAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const backdated = await call('POST', '/v1/consent-events', eventBody({ occurredAt: longAgo }));
    expect(backdated).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'occurredAt', code: 'CONSENT.OCCURRED_TOO_LONG_AGO' }] },
    });
    const imported = await call(
      'POST',
      '/v1/consent-events',
      eventBody({ occurredAt: longAgo, channel: 'IMPORT', method: 'CHECKBOX' }),
    );
    expect(imported.status).toBe(202);
  });

  it('limits each key to its rate with a 429 and Retry-After, other keys and /health unaffected', async () => {
    const limited = await createConsentApi({
      ...environment.config,
      rateLimit: { maxPerWindow: 3, windowMs: 60_000 },
    });
    await limited.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(limited.getHttpServer().address() as AddressInfo).port}`;
    const get = (path: string, key?: string) =>
      fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    try {
      const statuses = [];
      for (let index = 0; index < 4; index += 1)
        statuses.push((await get('/v1/purposes', TEST_ADMIN_KEY)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await get('/v1/purposes', TEST_ADMIN_KEY);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED' });
      expect((await get('/v1/purposes', TEST_READ_ONLY_KEY)).status).toBe(200);
      for (let index = 0; index < 5; index += 1) expect((await get('/health')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('serves /metrics and /docs to an operations key only when configured to', async () => {
    const restricted = await createConsentApi({
      ...environment.config,
      operationsEndpointsRequireKey: true,
    });
    await restricted.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(restricted.getHttpServer().address() as AddressInfo).port}`;
    const get = (path: string, key?: string) =>
      fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    try {
      for (const path of ['/metrics', '/docs/openapi.json']) {
        const anonymous = await get(path);
        expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
        expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect({ path, status: (await get(path, TEST_READ_ONLY_KEY)).status }).toEqual({
          path,
          status: 403,
        });
        expect({ path, status: (await get(path, TEST_ADMIN_KEY)).status }).toEqual({
          path,
          status: 200,
        });
      }
      expect((await get('/health')).status).toBe(200);
      expect((await fetch(`${baseUrl}/metrics`)).status).toBe(200);
    } finally {
      await restricted.close();
    }
  });

  it('serves its HTML (the /docs viewer) and every answer with a content security policy, nosniff and no framing', async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/frame-ancestors 'none'/);
    expect(policy).toMatch(/script-src 'self'(;|$)/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // Every script the page loads is its own.
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map(([, attributes]) => attributes);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/src="(?!https?:)/);
    const json = await fetch(`${baseUrl}/v1/purposes`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers a cursor it did not issue with a 400 naming the field', async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const after of [
      forged(['2026-01-01T00:00:00.000Z', '------------------------------------']),
      forged([12, '0190f0e2-0000-7000-8000-000000000000']),
      forged({ recordedAt: 'x' }),
      'not-base64-json',
    ]) {
      const page = await call('GET', `/v1/subjects/someone/events?after=${after}`);
      expect({ after, status: page.status, body: page.body }).toMatchObject({
        after,
        status: 400,
        body: {
          errors: [expect.objectContaining({ field: 'after', code: 'REQUEST.INVALID_CURSOR' })],
        },
      });
    }
  });

  it('tells anyone whether it is up, and only an operations key the detail of /health', async () => {
    const anonymous = await call('GET', '/health', undefined, null);
    expect(anonymous).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(Object.keys(anonymous.body)).toEqual(['status']);
    const reader = await call('GET', '/health', undefined, TEST_READ_ONLY_KEY);
    expect(Object.keys(reader.body)).toEqual(['status']);
    const operations = await call('GET', '/health');
    expect(operations.body).toMatchObject({
      status: 'ok',
      info: { broker: { status: 'up', clusterId: expect.any(String) }, registry: { status: 'up' } },
    });
  });

  it('asks for a key, and for the right scope', async () => {
    expect((await call('POST', '/v1/consent-events', eventBody(), null)).body).toMatchObject({
      status: 401,
      code: 'AUTH.MISSING_KEY',
    });
    expect(
      (await call('POST', '/v1/consent-events', eventBody(), 'wrong-key-0000000000')).body,
    ).toMatchObject({ status: 401, code: 'AUTH.UNKNOWN_KEY' });
    expect(
      (await call('POST', '/v1/consent-events', eventBody(), TEST_READ_ONLY_KEY)).body,
    ).toMatchObject({ status: 403, code: 'AUTH.MISSING_SCOPE' });
    expect((await call('GET', '/v1/purposes', undefined, TEST_READ_ONLY_KEY)).status).toBe(200);
  });

  it('takes a signed chain checkpoint on demand for an operations key, and refuses any other key', async () => {
    // Given an event recorded
    await call('POST', '/v1/consent-events', eventBody());

    // When a reader and then an operator ask for a checkpoint now
    const refused = await call('POST', '/v1/chain-checkpoints', {}, TEST_READ_ONLY_KEY);
    const taken = await call('POST', '/v1/chain-checkpoints', {});

    // Then only the operator gets one, signed, covering at least that subject
    expect(refused.body).toMatchObject({ status: 403, code: 'AUTH.MISSING_SCOPE' });
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({
      topic: eventsTopic,
      subjectCount: expect.any(Number),
      merkleRoot: expect.any(String),
      signature: expect.any(String),
    });
    expect(taken.body.subjectCount).toBeGreaterThan(0);
  });

  /**
   * Sends `head` on a raw connection and nothing more; returns what the server answers until it
   * closes the connection (or the deadline passes, with what came by then).
   */
  const answerTo = async (head: string, deadlineMs = 10_000): Promise<string> => {
    const { hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(head);
    const closed = once(socket, 'close');
    const timer = setTimeout(() => socket.destroy(), deadlineMs);
    await closed;
    clearTimeout(timer);
    return Buffer.concat(chunks).toString();
  };
  const postHead = (headers: string) =>
    `POST /v1/consent-events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}\r\n`;

  it('refuses a body without a known key, or too large, from its headers alone, before reading it', async () => {
    // Headers announcing a megabyte, and no body: the answer comes without it.
    const unknownKey = await answerTo(
      postHead('Authorization: Bearer not-a-key-at-all\r\nContent-Length: 1000000\r\n'),
    );
    expect(unknownKey).toMatch(/^HTTP\/1\.1 401/);
    expect(unknownKey).toMatch(/"code":"AUTH.UNKNOWN_KEY"/);
    const noKey = await answerTo(postHead('Content-Length: 1000000\r\n'));
    expect(noKey).toMatch(/^HTTP\/1\.1 401/);
    const tooLarge = await answerTo(
      postHead(`Authorization: Bearer ${TEST_ADMIN_KEY}\r\nContent-Length: 50000000\r\n`),
    );
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413/);
  });

  it('closes a connection whose headers do not arrive within HTTP_HEADERS_TIMEOUT_MS', async () => {
    const started = Date.now();
    // The request line and one header, then silence.
    const answer = await answerTo(
      'POST /v1/consent-events HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      10_000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps one linear hash chain per subject under concurrent writes from two API instances', async () => {
    // A second instance with its own connections: both race to create the new subject's head.
    const second = await createConsentApi(environment.config);
    await second.listen(0, '127.0.0.1');
    const secondUrl = `http://127.0.0.1:${(second.getHttpServer().address() as AddressInfo).port}`;
    const subjectId = uniqueName('busy');
    const bodies = Array.from({ length: 20 }, (_, index) =>
      eventBody({ subjectId, purpose: index % 2 ? 'marketing.sms' : 'marketing.email' }),
    );
    let responses;
    try {
      responses = await Promise.all(
        bodies.map((body, index) =>
          index % 2
            ? fetch(`${secondUrl}/v1/consent-events`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${TEST_ADMIN_KEY}`,
                },
                body: JSON.stringify(body),
              })
            : call('POST', '/v1/consent-events', body),
        ),
      );
    } finally {
      await second.close();
    }
    expect(responses.map((response) => response.status)).toEqual(bodies.map(() => 202));

    const client = new Client({ connectionString: environment.config.database.url });
    await client.connect();
    try {
      const rows = await waitFor(
        async () => {
          const result = await client.query(
            'SELECT * FROM consent_event WHERE subject_id = $1 ORDER BY source_offset',
            [subjectId],
          );
          return result.rows.length === 20 ? result.rows : undefined;
        },
        {
          description: () =>
            `all 20 events projected; the projector said: ${pipeline.process('projector').output()}`,
        },
      );
      const events = rows.map(eventFromRow);
      expect(events[0]!.previousEventHash).toBeNull();
      for (let index = 1; index < events.length; index += 1) {
        expect(events[index]!.previousEventHash).toBe(hashConsentEvent(events[index - 1]!));
      }
    } finally {
      await client.end();
    }
  });

  it('accepts a batch of 1,000 events for an import', async () => {
    const events = Array.from({ length: 1000 }, (_, index) =>
      eventBody({
        channel: 'IMPORT',
        method: 'IMPORT',
        purpose: index % 2 ? 'ml.training' : 'marketing.email',
      }),
    );
    const response = await call('POST', '/v1/consent-events/batch', { events });
    expect(response).toMatchObject({ status: 202, body: { accepted: 1000, duplicates: 0 } });
    const again = await call('POST', '/v1/consent-events/batch', { events });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1000 });
  });

  /**
   * A consent API of its own that reaches its database or its schema registry through a proxy the
   * test can cut and restore, with a way to call it.
   */
  const apiBehindProxy = async (dependency: 'database' | 'registry') => {
    const target = new URL(
      dependency === 'database'
        ? environment.config.database.url
        : environment.config.schemaRegistry.url,
    );
    const proxy = await startTcpProxy(
      target.hostname,
      Number(target.port || (dependency === 'database' ? 5432 : 80)),
    );
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const app = await createConsentApi(
      dependency === 'database'
        ? {
            ...environment.config,
            database: { ...environment.config.database, url: target.toString() },
          }
        : {
            ...environment.config,
            schemaRegistry: {
              ...environment.config.schemaRegistry,
              url: target.toString().replace(/\/$/, ''),
            },
          },
    );
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const request = async (method: string, path: string, body?: unknown, key?: string) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as Record<string, unknown>,
      };
    };
    return {
      proxy,
      request,
      post: (body: unknown) => request('POST', '/v1/consent-events', body, TEST_ADMIN_KEY),
      close: async () => {
        await app.close();
        await proxy.close();
      },
    };
  };

  /** The distinct event ids the events topic holds for a subject, read to its end. */
  const eventIdsOnLog = async (subjectId: unknown): Promise<Set<string | undefined>> => {
    const offsets = await admin.fetchTopicOffsets(eventsTopic);
    const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
    const records = await readTopicUntil(
      createKafkaClient(environment.config.kafka, 'api-int-spec-reader'),
      eventsTopic,
      (read) => read.length >= total,
    );
    return new Set(records.filter((r) => r.key === subjectId).map((r) => r.headers['event-id']));
  };

  it('answers 503 with Retry-After, never 500, while the database cannot be reached, and recovers', async () => {
    const api = await apiBehindProxy('database');
    try {
      expect((await api.post(eventBody())).status).toBe(202);
      await api.proxy.cut();
      const pendingWrite = eventBody();
      for (const answer of [
        await api.post(pendingWrite),
        await api.request(
          'GET',
          `/v1/subjects/${pendingWrite.subjectId}/consents`,
          undefined,
          TEST_ADMIN_KEY,
        ),
      ]) {
        expect(answer.status).toBe(503);
        expect(answer.body.code).toBe('DATABASE.UNAVAILABLE');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      await api.proxy.restore();
      await waitFor(async () => (await api.post(pendingWrite)).status === 202, {
        timeoutMs: 30_000,
        description: 'the write accepted once the database is back',
      });
    } finally {
      await api.close();
    }
  });

  it('never writes a second event when the database fails while Kafka is taking the write', async () => {
    const api = await apiBehindProxy('database');
    // Straight to PostgreSQL, not through the proxy: what the write left.
    const pg = new Client({ connectionString: environment.config.database.url });
    await pg.connect();
    const kept = async (subjectId: unknown): Promise<number> =>
      (
        await pg.query(
          'SELECT count(*)::int AS n FROM unacknowledged_event WHERE subject_id = $1',
          [subjectId],
        )
      ).rows[0].n;
    const body = eventBody();
    try {
      const resume = freezeLocalBroker();
      let first;
      try {
        const answer = api.post(body);
        // The write is in flight: Kafka has it, the database is still part of it.
        await waitFor(
          async () => {
            const waiting = await pg.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'idle in transaction'`,
            );
            return (await kept(body.subjectId)) > 0 || waiting.rows[0].n > 0;
          },
          { timeoutMs: 10_000, intervalMs: 20, description: 'the write in flight' },
        );
        await api.proxy.cut();
        resume();
        first = await answer;
      } finally {
        resume();
      }
      expect([202, 503]).toContain(first.status);
      await api.proxy.restore();
      const retried = await waitFor(
        async () => {
          const answer = await api.post(body);
          return answer.status === 202 ? answer : undefined;
        },
        { timeoutMs: 60_000, description: 'the retry accepted once the database is back' },
      );
      await waitFor(async () => (await kept(body.subjectId)) === 0, {
        timeoutMs: 60_000,
        description: 'the event acknowledged and forgotten',
      });
      expect([...(await eventIdsOnLog(body.subjectId))]).toEqual([retried.body.eventId]);
    } finally {
      await pg.end();
      await api.close();
    }
  });

  it('reports itself degraded, not down, while the schema registry is away, and keeps writing', async () => {
    const api = await apiBehindProxy('registry');
    const health = async (key?: string) => {
      const { status, body } = await api.request('GET', '/health', undefined, key);
      return { status, body };
    };
    try {
      expect((await api.post(eventBody())).status).toBe(202);
      expect(await health()).toEqual({ status: 200, body: { status: 'ok' } });
      await api.proxy.cut();
      expect(await health()).toEqual({ status: 200, body: { status: 'degraded' } });
      expect((await health(TEST_ADMIN_KEY)).body).toMatchObject({
        status: 'degraded',
        degraded: { registry: { status: 'down' } },
        details: { broker: { status: 'up' }, database: { status: 'up' } },
      });
      // The schema it has used is in memory: writes go on.
      expect((await api.post(eventBody())).status).toBe(202);
      await api.proxy.restore();
      await waitFor(async () => (await health()).body.status === 'ok', {
        timeoutMs: 15_000,
        description: 'health ok again once the registry is back',
      });
    } finally {
      await api.close();
    }
  });

  it('answers 503 "outcome unknown" when Kafka does not acknowledge, and writes each such event once: on retry, or by itself', async () => {
    const retried = eventBody();
    const abandoned = eventBody();
    const resume = freezeLocalBroker();
    let refused;
    try {
      refused = await Promise.all([
        call('POST', '/v1/consent-events', retried),
        call('POST', '/v1/consent-events', abandoned),
      ]);
    } finally {
      resume();
    }
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('KAFKA.OUTCOME_UNKNOWN');
      expect(answer.body.detail).toMatch(/Retry with the same idempotency key/);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }

    // One client retries with the same key once Kafka is back: the very same event is sent again.
    const accepted = await waitFor(
      async () => {
        const response = await call('POST', '/v1/consent-events', retried);
        return response.status === 202 ? response : undefined;
      },
      { timeoutMs: 60_000, description: 'the retry to be accepted' },
    );
    expect(refused[0]!.body.detail).toContain(accepted.body.eventId);
    // The other never retries: the API sends its event again by itself until Kafka holds it.
    const pg = new Client({ connectionString: environment.config.database.url });
    await pg.connect();
    try {
      await waitFor(
        async () =>
          (await pg.query('SELECT count(*)::int AS n FROM unacknowledged_event')).rows[0].n === 0,
        {
          timeoutMs: 60_000,
          description: 'every unacknowledged event sent again and acknowledged',
        },
      );
    } finally {
      await pg.end();
    }

    // Each subject has one event in the read model, and one event id on the log (an event sent
    // twice is the same record twice).
    for (const body of [retried, abandoned]) {
      const history = await waitFor(
        async () => {
          const { body: page } = await call('GET', `/v1/subjects/${body.subjectId}/events`);
          return page.events.length > 0 ? page : undefined;
        },
        { timeoutMs: 60_000, description: `the event of ${body.subjectId} in the read model` },
      );
      expect(history.events).toHaveLength(1);
    }
    for (const body of [retried, abandoned]) {
      const ids = await eventIdsOnLog(body.subjectId);
      expect({ subject: body.subjectId, ids: ids.size }).toEqual({
        subject: body.subjectId,
        ids: 1,
      });
    }
  });
});
