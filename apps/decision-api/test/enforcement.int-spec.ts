import type { Server } from 'node:http';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { loadConsentPolicy } from '@consent-ledger/config';
import { decide } from '@consent-ledger/consent-domain';
import {
  ACKS_ALL,
  AvroSerde,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
  valueSubject,
} from '@consent-ledger/kafka';
import { ConsentReadModelRepository, createDataSource } from '@consent-ledger/persistence';
import {
  choiceRequest,
  createTestEnvironment,
  fixtureDecisionRecord,
  freezeLocalBroker,
  listenOnLoopback,
  minutesAgo,
  startPipeline,
  TEST_ADMIN_KEY,
  TEST_JURISDICTION_OVERRIDE_KEY,
  TEST_READ_ONLY_KEY,
  uniqueName,
  waitFor,
  waitForProjectionSettled,
} from '@consent-ledger/testing';
import type { TestEnvironment, Pipeline } from '@consent-ledger/testing';
import { createDecisionApi } from '../src/decision-api.factory';
import { MAX_FOLLOWERS_PER_KEY } from '../src/audience/audience.http.controller';

const event = (
  subjectId: string,
  purpose: string,
  action: 'GRANT' | 'WITHDRAW',
  jurisdiction: string,
  occurredAt = minutesAgo(5),
) => choiceRequest(subjectId, purpose, action, { jurisdiction, occurredAt });

interface Decision {
  subjectId: string;
  purpose: string;
  allowed: boolean;
  reason: string;
  decidingEventId: string | null;
  policyVersion: string;
  logPosition: { topic: string; offsets: Record<string, number> };
}

describe('enforcement: decisions, filter, audience and GPC against the real stack', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let decisions: INestApplication;
  let apiUrl: string;
  let decisionsUrl: string;

  const send = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const record = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await send(`${apiUrl}/v1/consent-events`, body, headers);
    expect(response.status).toBe(202);
    return (await response.json()) as {
      eventId: string;
      duplicate: boolean;
      globalPrivacyControl?: {
        honoured: boolean;
        optOuts: Array<{ purpose: string; eventId: string; duplicate: boolean }>;
      };
    };
  };
  const decision = async (body: Record<string, unknown>, base = decisionsUrl) => {
    const response = await send(`${base}/v1/decisions`, body);
    expect(response.status).toBe(200);
    return (await response.json()) as Decision;
  };
  /** Waits until the decision API answers as expected (the pipeline is asynchronous). */
  const decisionBecomes = (body: Record<string, unknown>, expected: Partial<Decision>) =>
    waitFor(
      async () => {
        const answer = await decision(body);
        return Object.entries(expected).every(
          ([key, value]) => answer[key as keyof Decision] === value,
        );
      },
      {
        timeoutMs: 30_000,
        description: `decision ${JSON.stringify(body)} to be ${JSON.stringify(expected)}`,
      },
    );

  beforeAll(async () => {
    // A loaded 2-core machine can hold the view's watermark refresh past the default 5 s, and a
    // fail-closed view then denies a window of a long filter stream, which is right but not what
    // these tests are about; the fail-closed test builds a strict app of its own (1.5 s).
    environment = await createTestEnvironment({
      DECISION_MAX_STALENESS_MS: '30000',
      // Small enough for a test to pass them.
      AUDIENCE_PAGE_MAX_SCANNED: '20',
      AUDIENCE_FOLLOWER_MAX_QUEUED_CHANGES: '50',
    });
    // The API and the projector run as they do in production; the decision API is the app tested.
    pipeline = await startPipeline({ environment, apps: ['consent-api', 'projector'] });
    apiUrl = pipeline.url('consent-api');
    decisions = await createDecisionApi(environment.config);
    decisionsUrl = await listenOnLoopback(decisions);
  });

  afterAll(async () => {
    await decisions?.close();
    await pipeline?.stop();
    await environment?.dispose();
  });

  it('lets a requested jurisdiction tighten an answer, and loosen it only for a key with the override scope', async () => {
    const german = uniqueName('de');
    await record(event(german, 'marketing.email', 'GRANT', 'DE'));
    await decisionBecomes({ subjectId: german, purpose: 'marketing.email' }, { allowed: true });
    const asCalifornian = { subjectId: german, purpose: 'ads.targeted', jurisdiction: 'US-CA' };

    const refused = await decision(asCalifornian);
    expect(refused).toMatchObject({
      allowed: false,
      reason: 'OPT_IN_REQUIRED',
      regime: 'GDPR',
      jurisdiction: null,
    });
    const batch = await send(`${decisionsUrl}/v1/decisions/batch`, {
      purpose: 'ads.targeted',
      subjectIds: [german],
      jurisdiction: 'US-CA',
    });
    expect(((await batch.json()) as { decisions: Decision[] }).decisions[0]).toMatchObject({
      allowed: false,
      reason: 'OPT_IN_REQUIRED',
    });
    const filtered = await fetch(
      `${decisionsUrl}/v1/filter?purpose=ads.targeted&jurisdiction=US-CA`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: `Bearer ${TEST_ADMIN_KEY}`,
        },
        body: JSON.stringify({ subjectId: german }),
      },
    );
    expect((await filtered.text()).trim()).toBe('');

    const overridden = await send(`${decisionsUrl}/v1/decisions`, asCalifornian, {
      authorization: `Bearer ${TEST_JURISDICTION_OVERRIDE_KEY}`,
    });
    expect(await overridden.json()).toMatchObject({
      allowed: true,
      reason: 'OPT_OUT_NOT_EXERCISED',
      regime: 'CCPA_CPRA',
      jurisdiction: 'US-CA',
    });
  });

  it('answers across the regimes, naming the deciding event and the policy version', async () => {
    const german = uniqueName('de');
    const virginian = uniqueName('va');
    const granted = await record(event(german, 'marketing.email', 'GRANT', 'DE'));
    await record(event(virginian, 'sensitive.processing', 'WITHDRAW', 'US-VA'));
    await decisionBecomes(
      { subjectId: german, purpose: 'marketing.email' },
      { allowed: true, reason: 'CONSENT_GRANTED', decidingEventId: granted.eventId },
    );
    const { policy } = loadConsentPolicy(environment.config.consentPolicy);
    type Row = [
      subjectId: string,
      purpose: string,
      jurisdiction: string | undefined,
      allowed: boolean,
      reason: string,
    ];
    const unseen = uniqueName('unseen');
    await decisionBecomes(
      { subjectId: virginian, purpose: 'sensitive.processing' },
      { allowed: false, reason: 'CONSENT_WITHDRAWN' },
    );
    const table: Row[] = [
      [german, 'marketing', undefined, false, 'OPT_IN_REQUIRED'],
      [german, 'ads.targeted', undefined, false, 'OPT_IN_REQUIRED'],
      [german, 'transactional', undefined, true, 'CONTRACT_BASIS'],
      [german, 'marketing.email', 'US-CA', true, 'CONSENT_GRANTED'],
      [virginian, 'ads.targeted', undefined, true, 'OPT_OUT_NOT_EXERCISED'],
      [virginian, 'ads.targeted', 'FR', false, 'OPT_IN_REQUIRED'],
      [unseen, 'marketing.email', undefined, false, 'NO_CONSENT_ON_RECORD'],
      // The caller's jurisdiction may not loosen the strictest rule that applies to the unseen.
      [unseen, 'data.sale_sharing', 'US-CA', false, 'NO_CONSENT_ON_RECORD'],
      [unseen, 'sensitive.processing', 'US-VA', false, 'SENSITIVE_OPT_IN_REQUIRED'],
    ];
    for (const [subjectId, purpose, jurisdiction, allowed, reason] of table) {
      const answer = await decision({
        subjectId,
        purpose,
        ...(jurisdiction ? { jurisdiction } : {}),
      });
      expect({
        subjectId,
        purpose,
        jurisdiction,
        allowed: answer.allowed,
        reason: answer.reason,
      }).toEqual({
        subjectId,
        purpose,
        jurisdiction,
        allowed,
        reason,
      });
      expect(answer.policyVersion).toBe(policy.version);
      expect(Object.keys(answer.logPosition.offsets).length).toBeGreaterThan(0);
    }
  });

  it('refuses a bad decision request with a problem document: purpose, JSON, size, scope, key, batch size', async () => {
    const subjectId = uniqueName('asker');
    const unknownPurpose = await send(`${decisionsUrl}/v1/decisions`, {
      subjectId,
      purpose: 'nope',
    });
    expect(unknownPurpose.status).toBe(422);
    expect(unknownPurpose.headers.get('content-type')).toContain('application/problem+json');
    expect(await unknownPurpose.json()).toMatchObject({ code: 'CONSENT.UNKNOWN_PURPOSE' });
    const malformed = await fetch(`${decisionsUrl}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: '{"subjectId": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect(await malformed.json()).toMatchObject({ code: 'REQUEST.MALFORMED_JSON' });
    const oversized = await send(`${decisionsUrl}/v1/decisions`, {
      subjectId,
      purpose: 'marketing.email',
      padding: 'x'.repeat(3 * 1024 * 1024),
    });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
    const readOnly = await fetch(`${decisionsUrl}/v1/decisions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TEST_READ_ONLY_KEY}`,
      },
      body: JSON.stringify({ subjectId, purpose: 'marketing.email' }),
    });
    expect(readOnly.status).toBe(403);
    // The key is checked before the body is read: without one, even a malformed body is a 401.
    const anonymous = await fetch(`${decisionsUrl}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"subjectId": ',
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'AUTH.MISSING_KEY' });
    const tooMany = await send(`${decisionsUrl}/v1/decisions/batch`, {
      purpose: 'marketing.email',
      subjectIds: Array.from({ length: 10_001 }, (_, index) => `s${index}`),
    });
    expect(tooMany.status).toBe(400);
  });

  it('refuses a direct identifier as the subject, or a jurisdiction that does not exist, with a 422 naming the field', async () => {
    // When a decision is asked for an email address, and under a jurisdiction that does not exist
    const byEmail = await send(`${decisionsUrl}/v1/decisions`, {
      subjectId: 'alice@example.com',
      purpose: 'marketing.email',
    });
    const byJurisdiction = await send(`${decisionsUrl}/v1/decisions`, {
      subjectId: uniqueName('asker'),
      purpose: 'marketing.email',
      jurisdiction: 'XX-YY',
    });
    const inBatch = await send(`${decisionsUrl}/v1/decisions/batch`, {
      purpose: 'marketing.email',
      subjectIds: [uniqueName('asker'), '+4930123456789'],
    });

    // Then each is refused, naming the field, without repeating the identifier
    expect(await byEmail.json()).toMatchObject({
      status: 422,
      code: 'REQUEST.IDENTIFIER_REFUSED',
      errors: [{ field: 'subjectId', code: 'IDENTIFIER.NOT_OPAQUE' }],
    });
    expect(await byJurisdiction.json()).toMatchObject({
      status: 422,
      errors: [{ field: 'jurisdiction', code: 'IDENTIFIER.UNKNOWN_JURISDICTION' }],
    });
    const batchProblem = await inBatch.json();
    expect(batchProblem).toMatchObject({
      status: 422,
      errors: [{ field: 'subjectIds[1]', code: 'IDENTIFIER.NOT_OPAQUE' }],
    });
    expect(JSON.stringify(batchProblem)).not.toContain('4930123456789');
  });

  it('limits each key on the plain decision route as on the framework routes', async () => {
    const limited = await createDecisionApi({
      ...environment.config,
      rateLimit: { maxPerWindow: 2, windowMs: 60_000 },
    });
    try {
      const url = await listenOnLoopback(limited);
      const ask = () =>
        send(`${url}/v1/decisions`, { subjectId: uniqueName('s'), purpose: 'marketing.email' });
      const statuses = [(await ask()).status, (await ask()).status];
      const refused = await ask();
      expect([...statuses, refused.status]).toEqual([200, 200, 429]);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: 'REQUEST.RATE_LIMITED' });
      const batch = await send(`${url}/v1/decisions/batch`, {
        purpose: 'marketing.email',
        subjectIds: ['s-1'],
      });
      expect(batch.status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('lets one key follow a bounded number of audiences at once, and frees a place when one closes', async () => {
    const follow = (signal: AbortSignal) =>
      fetch(`${decisionsUrl}/v1/purposes/marketing.push/audience?follow=true`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, accept: 'application/x-ndjson' },
        signal,
      });
    const controllers = Array.from({ length: MAX_FOLLOWERS_PER_KEY }, () => new AbortController());
    try {
      const open = await Promise.all(controllers.map((controller) => follow(controller.signal)));
      expect(open.map((response) => response.status)).toEqual(controllers.map(() => 200));
      const extra = new AbortController();
      const refused = await follow(extra.signal);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'AUDIENCE.TOO_MANY_FOLLOWERS' });
      controllers[0]!.abort();
      await waitFor(
        async () => {
          const again = new AbortController();
          const response = await follow(again.signal);
          again.abort();
          return response.status === 200;
        },
        { timeoutMs: 10_000, description: 'a place freed by the closed follower' },
      );
    } finally {
      controllers.forEach((controller) => controller.abort());
    }
  });

  it('answers single decisions before Fastify exactly as the framework route would', async () => {
    // The running app answers POST /v1/decisions with a plain Node handler (PlainJsonRoutes);
    // an app built without it leaves the route to Nest on Fastify. Both must say the same thing.
    const framework = await createDecisionApi(environment.config, { plainRoutes: false });
    try {
      const frameworkUrl = await listenOnLoopback(framework);
      const subjectId = uniqueName('same');
      const granted = await record(event(subjectId, 'marketing.email', 'GRANT', 'DE'));
      const json = { 'content-type': 'application/json' };
      const admin = { ...json, authorization: `Bearer ${TEST_ADMIN_KEY}` };
      const valid = JSON.stringify({ subjectId, purpose: 'marketing.email', campaignId: 'c-1' });
      const cases: Array<[name: string, headers: Record<string, string>, body: string]> = [
        ['decision', admin, valid],
        ['malformed JSON', admin, '{"subjectId": '],
        ['no key', json, valid],
        ['unknown key', { ...json, authorization: 'Bearer nope' }, valid],
        [
          'key without the scope',
          { ...json, authorization: `Bearer ${TEST_READ_ONLY_KEY}` },
          valid,
        ],
        ['invalid fields', admin, JSON.stringify({ subjectId: '', purpose: 'x', extra: 1 })],
        ['unknown purpose', admin, JSON.stringify({ subjectId, purpose: 'nope' })],
        [
          'campaign and job',
          admin,
          JSON.stringify({ subjectId, purpose: 'marketing', campaignId: 'a', jobId: 'b' }),
        ],
        ['not JSON', { ...admin, 'content-type': 'text/plain' }, valid],
        ['too large', admin, JSON.stringify({ subjectId, padding: 'x'.repeat(3 * 1024 * 1024) })],
      ];
      const ask = async (base: string, headers: Record<string, string>, body: string) => {
        const response = await fetch(`${base}/v1/decisions?from=test`, {
          method: 'POST',
          headers,
          body,
        });
        const answer = (await response.json()) as Record<string, unknown>;
        // Two views of the same topic may stand at different offsets for a moment.
        delete answer.logPosition;
        return {
          status: response.status,
          contentType: response.headers.get('content-type')?.split(';')[0],
          answer,
        };
      };
      await waitFor(
        async () =>
          (await ask(frameworkUrl, admin, valid)).answer.decidingEventId === granted.eventId,
        { timeoutMs: 30_000, description: 'the framework-built view to hold the grant' },
      );
      await decisionBecomes(
        { subjectId, purpose: 'marketing.email' },
        { decidingEventId: granted.eventId },
      );
      for (const [name, headers, body] of cases) {
        const plain = await ask(decisionsUrl, headers, body);
        const viaFramework = await ask(frameworkUrl, headers, body);
        expect({ name, ...plain }).toEqual({ name, ...viaFramework });
      }
      const statuses = await Promise.all(
        cases.map(async ([, headers, body]) => (await ask(decisionsUrl, headers, body)).status),
      );
      expect(statuses).toEqual([200, 400, 401, 401, 403, 400, 422, 400, 415, 413]);
      // The server keeps Fastify's own timeouts (keep-alive 72 s, not Node's 5 s).
      expect((decisions.getHttpServer() as Server).keepAliveTimeout).toBe(72_000);
      // Other methods and paths still reach Fastify.
      const get = await fetch(`${decisionsUrl}/v1/decisions`, { headers: admin });
      expect(get.status).toBe(404);
      expect(get.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await framework.close();
    }
  });

  it('records a GPC opt-out where the law honours it, and the decision says GPC was the reason', async () => {
    const californian = uniqueName('ca');
    const request = event(californian, 'marketing.email', 'GRANT', 'US-CA');
    const first = await record(request, { 'Sec-GPC': '1' });
    expect(first.globalPrivacyControl?.honoured).toBe(true);
    expect(first.globalPrivacyControl?.optOuts.map((optOut) => optOut.purpose)).toEqual([
      'data.sale_sharing',
      'ads.targeted',
    ]);
    const saleOptOut = first.globalPrivacyControl!.optOuts[0]!;
    await decisionBecomes(
      { subjectId: californian, purpose: 'data.sale_sharing' },
      { allowed: false, reason: 'GPC_OPT_OUT', decidingEventId: saleOptOut.eventId },
    );
    // The browser retries the same request once the opt-outs are applied: nothing new is
    // recorded, and the answer names the opt-outs recorded the first time.
    const retried = await record(request, { 'Sec-GPC': '1' });
    expect(retried.duplicate).toBe(true);
    expect(
      retried.globalPrivacyControl?.optOuts.map((optOut) => [optOut.eventId, optOut.duplicate]),
    ).toEqual(first.globalPrivacyControl?.optOuts.map((optOut) => [optOut.eventId, true]));
    await decisionBecomes(
      { subjectId: californian, purpose: 'ads.targeted' },
      { allowed: false, reason: 'GPC_OPT_OUT' },
    );
    // The grant in the same request stands.
    await decisionBecomes(
      { subjectId: californian, purpose: 'marketing.email' },
      { allowed: true, reason: 'CONSENT_GRANTED' },
    );
    const events = (await (
      await fetch(`${apiUrl}/v1/subjects/${californian}/events`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      })
    ).json()) as { events: Array<{ eventId: string; method: string; action: string }> };
    expect(events.events.find((entry) => entry.eventId === saleOptOut.eventId)).toMatchObject({
      method: 'GLOBAL_PRIVACY_CONTROL',
      action: 'WITHDRAW',
    });

    // Virginia's law does not make GPC an opt-out, Germany's consent is opt-in anyway.
    for (const jurisdiction of ['US-VA', 'DE']) {
      const elsewhere = await record(
        event(uniqueName('gpc'), 'marketing.email', 'GRANT', jurisdiction),
        {
          'Sec-GPC': '1',
        },
      );
      expect(elsewhere.globalPrivacyControl).toEqual({ honoured: false, optOuts: [] });
    }
    // Without the header nothing but the event is recorded.
    expect(
      (await record(event(uniqueName('ca'), 'marketing.email', 'GRANT', 'US-CA')))
        .globalPrivacyControl,
    ).toBeUndefined();
  });

  it('matches the read model for every subject and purpose after a burst of changes', async () => {
    const subjects = Array.from({ length: 60 }, () => uniqueName('burst'));
    const purposes = [
      'marketing',
      'marketing.email',
      'ads.targeted',
      'data.sale_sharing',
      'ml.training',
      'sensitive.processing',
    ];
    const jurisdictions = ['DE', 'GB', 'US-CA', 'US-VA', 'BR'];
    let seed = 7;
    const random = (n: number) => {
      // xorshift32: deterministic, and spreads the events over every subject.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const events = Array.from({ length: 600 }, (_, index) =>
      event(
        subjects[random(subjects.length)]!,
        purposes[random(purposes.length)]!,
        random(2) ? 'GRANT' : 'WITHDRAW',
        jurisdictions[random(jurisdictions.length)]!,
        new Date(Date.now() - 600_000 + index * 500).toISOString(),
      ),
    );
    for (let start = 0; start < events.length; start += 200) {
      expect(
        (
          await send(`${apiUrl}/v1/consent-events/batch`, {
            events: events.slice(start, start + 200),
          })
        ).status,
      ).toBe(202);
    }
    const dataSource = createDataSource(environment.config.database);
    await dataSource.initialize();
    try {
      await waitForProjectionSettled(dataSource, subjects, events.length);
      const { taxonomy, policy } = loadConsentPolicy(environment.config.consentPolicy);
      const states = await new ConsentReadModelRepository().loadStates(
        dataSource.manager,
        subjects,
      );
      const at = new Date();
      const consentPurposes = [...taxonomy.purposes.values()].map((entry) => entry.id);
      // Wait for the view to have read everything published, then compare every answer.
      const compare = async () => {
        const mismatches: string[] = [];
        for (const purpose of consentPurposes) {
          const response = await send(`${decisionsUrl}/v1/decisions/batch`, {
            purpose,
            subjectIds: subjects,
          });
          expect(response.status).toBe(200);
          const batch = (await response.json()) as {
            decisions: Array<{ subjectId: string; allowed: boolean; reason: string }>;
          };
          for (const answer of batch.decisions) {
            const expected = decide(states.get(answer.subjectId)!, purpose, {
              taxonomy,
              policy,
              at,
            });
            if (answer.allowed !== expected.allowed || answer.reason !== expected.reason) {
              mismatches.push(
                `${answer.subjectId} ${purpose}: view ${answer.allowed}/${answer.reason}, read model ${expected.allowed}/${expected.reason}`,
              );
            }
          }
        }
        return mismatches;
      };
      let last: string[] = [];
      await waitFor(async () => (last = await compare()).length === 0, {
        timeoutMs: 30_000,
        description: () =>
          `the decisions to match the read model (${last.length} differ, e.g. ${last.slice(0, 3).join('; ')})`,
      });
    } finally {
      await dataSource.destroy();
    }
  });

  it('filters and anonymises a large NDJSON stream, answering before the body has ended', async () => {
    const allowedSubject = uniqueName('yes');
    const deniedSubject = uniqueName('no');
    await record(event(allowedSubject, 'ml.training', 'GRANT', 'DE'));
    await record(event(deniedSubject, 'ml.training', 'WITHDRAW', 'DE'));
    await decisionBecomes({ subjectId: allowedSubject, purpose: 'ml.training' }, { allowed: true });
    await decisionBecomes({ subjectId: deniedSubject, purpose: 'ml.training' }, { allowed: false });

    const total = 100_000;
    const line = (index: number) =>
      `${JSON.stringify({
        subjectId:
          index % 3 === 0
            ? deniedSubject
            : index % 3 === 1
              ? allowedSubject
              : `never-seen-${index}`,
        row: index,
        email: `person${index}@example.com`,
        age: 37,
        birthDate: '1989-05-17',
        postcode: 'SW1A 1AA',
        country: 'GB',
        notes: 'free text',
      })}\n`;
    // The second half of the body is only produced once the first answers have arrived: a
    // server that buffered the whole body would never answer, and the test would time out.
    let answered!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
    const body = Readable.from(
      (async function* () {
        for (let index = 0; index < total; index += 1) {
          if (index === total / 2) await firstAnswer;
          yield line(index);
        }
      })(),
    );
    const response = await fetch(`${decisionsUrl}/v1/filter?purpose=ml.training&mode=anonymize`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
      },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    expect(response.headers.get('consent-policy-version')).toBeTruthy();
    const records: Array<Record<string, unknown>> = [];
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += Buffer.from(chunk).toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      lines.forEach((text) => records.push(JSON.parse(text) as Record<string, unknown>));
      if (records.length > 0) answered();
    }
    expect(records).toHaveLength(total);
    const kept = records.filter((entry) => entry.subjectId === allowedSubject);
    expect(kept).toHaveLength(Math.floor((total + 1) / 3));
    expect(kept[0]).toMatchObject({
      email: expect.stringMatching(/@example\.com$/),
      age: 37,
      notes: 'free text',
    });
    const anonymized = records.filter((entry) => entry.subjectId !== allowedSubject);
    expect(anonymized).toHaveLength(total - kept.length);
    for (const entry of anonymized.slice(0, 1000)) {
      expect(entry).toMatchObject({
        subjectId: expect.stringMatching(/^[0-9a-f]{64}$/),
        email: null,
        age: '30-39',
        birthDate: '1989',
        postcode: 'SW*',
        country: 'GB',
        notes: null,
      });
    }
    // Order is kept: row numbers of the anonymised records are nulled, so check the kept ones.
    expect(kept.map((entry) => entry.row)).toEqual(
      Array.from({ length: kept.length }, (_, index) => index * 3 + 1),
    );

    const filtered = await fetch(`${decisionsUrl}/v1/filter?purpose=ml.training&subjectField=who`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify([
        { who: allowedSubject, n: 1 },
        { who: deniedSubject, n: 2 },
        { n: 3 },
        { who: allowedSubject, n: 4 },
      ]),
    });
    expect(await filtered.json()).toEqual([
      { who: allowedSubject, n: 1 },
      { who: allowedSubject, n: 4 },
    ]);

    // A malformed record mid-stream aborts the answer rather than ending it short.
    const malformed = fetch(`${decisionsUrl}/v1/filter?purpose=ml.training`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
      },
      body: `${line(1)}{"subjectId": oops\n${line(4)}`,
    });
    await expect(malformed.then((response) => response.text())).rejects.toThrow();
    const wrongType = await fetch(`${decisionsUrl}/v1/filter?purpose=ml.training`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: 'a,b',
    });
    expect(wrongType.status).toBe(415);
  });

  it.each([
    ['application/x-ndjson', (first: string, huge: string) => `${first}\n${huge}\n`],
    ['application/json', (first: string, huge: string) => `[${first},${huge}]`],
  ])(
    'cuts a %s filter stream at a record longer than the limit instead of holding it whole',
    async (contentType, body) => {
      const huge = JSON.stringify({ subjectId: 'someone', padding: 'p'.repeat(2 * 1024 * 1024) });
      // The server cuts the exchange (while the client still sends, or mid-answer): never a
      // clean end that a client could mistake for the whole answer.
      const outcome = await fetch(`${decisionsUrl}/v1/filter?purpose=ml.training`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: body(JSON.stringify({ subjectId: 'first' }), huge),
      })
        .then((response) => response.text())
        .then(
          () => 'complete',
          () => 'cut',
        );
      expect(outcome).toBe('cut');
    },
  );

  it('lists the audience in pages and streams its changes as consents change', async () => {
    const members = Array.from({ length: 25 }, () => uniqueName('aud'));
    const leaver = members[0]!;
    const { events: accepted } = (await (
      await send(`${apiUrl}/v1/consent-events/batch`, {
        events: [
          ...members.map((subjectId) => event(subjectId, 'marketing.sms', 'GRANT', 'GB')),
          event(uniqueName('not-member'), 'marketing.sms', 'WITHDRAW', 'GB'),
        ],
      })
    ).json()) as { events: unknown[] };
    expect(accepted).toHaveLength(26);
    const headers = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const page = async (after?: string) =>
      (await (
        await fetch(
          `${decisionsUrl}/v1/purposes/marketing.sms/audience?limit=7${after ? `&after=${after}` : ''}`,
          { headers },
        )
      ).json()) as { subjects: string[]; nextCursor: string | null };
    const everyPage = async () => {
      const found: string[] = [];
      let cursor: string | undefined;
      do {
        const next = await page(cursor);
        found.push(...next.subjects);
        cursor = next.nextCursor ?? undefined;
      } while (cursor);
      return found;
    };
    await waitFor(
      async () =>
        (await everyPage()).filter((id) => members.includes(id)).length === members.length,
      {
        timeoutMs: 30_000,
        description: 'every member in the paged audience',
      },
    );
    const listed = await everyPage();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.filter((id) => id.startsWith('not-member'))).toEqual([]);

    const controller = new AbortController();
    const stream = await fetch(`${decisionsUrl}/v1/purposes/marketing.sms/audience?follow=true`, {
      headers: { ...headers, accept: 'application/x-ndjson' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const lines: Array<{ subjectId: string; change?: string }> = [];
    const reading = (async () => {
      let buffered = '';
      try {
        for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += Buffer.from(chunk).toString();
          const parts = buffered.split('\n');
          buffered = parts.pop()!;
          parts.forEach((text) =>
            lines.push(JSON.parse(text) as { subjectId: string; change?: string }),
          );
        }
      } catch {
        // Aborted by the test.
      }
    })();
    await waitFor(
      () => members.every((member) => lines.some((entry) => entry.subjectId === member)),
      {
        timeoutMs: 10_000,
        description: 'the streamed audience',
      },
    );
    await record(event(leaver, 'marketing', 'WITHDRAW', 'GB', minutesAgo(1)));
    await waitFor(
      () => lines.some((entry) => entry.subjectId === leaver && entry.change === 'left'),
      {
        timeoutMs: 30_000,
        description: `"left" for ${leaver} after withdrawing its parent purpose`,
      },
    );
    controller.abort();
    await reading;
    expect((await everyPage()).includes(leaver)).toBe(false);
  });

  it('looks at a bounded number of subjects per audience page, however few of them are members', async () => {
    const response = await fetch(
      `${decisionsUrl}/v1/purposes/sensitive.processing/audience?limit=10000`,
      { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } },
    );
    expect(response.status).toBe(200);
    const page = (await response.json()) as { subjects: string[]; nextCursor: string | null };
    // The view holds far more than 20 subjects by now, and hardly any allowed this purpose.
    expect(page.subjects.length).toBeLessThanOrEqual(20);
    expect(page.nextCursor).not.toBeNull();
  });

  it('ends a follow stream whose client stops reading once too many changes wait, saying why', async () => {
    const purpose = 'personalization.recommendations';
    const prefix = uniqueName('slow');
    // Long ids make long lines: the socket's buffers fill sooner.
    const subjects = Array.from(
      { length: 1_000 },
      (_, index) => `${prefix}-${String(index).padStart(4, '0')}-${'x'.repeat(90)}`,
    );
    await Promise.all(
      [0, 1].map(async (half) => {
        const response = await send(`${apiUrl}/v1/consent-events/batch`, {
          events: subjects
            .slice(half * 500, (half + 1) * 500)
            .map((subjectId) => event(subjectId, purpose, 'GRANT', 'DE')),
        });
        expect(response.status).toBe(202);
      }),
    );
    // Then decision changes straight onto consent.state.v1, as the projector's relay writes them,
    // many times faster than through the API: the view follows them all the same.
    const kafka = createKafkaClient(environment.config.kafka, 'slow-follower');
    const stateTopic = consentTopics(environment.config.kafka.topicPrefix).state;
    const serde = AvroSerde.connect(environment.config.schemaRegistry);
    const producer = createDurableProducer(kafka);
    await producer.connect();
    let sourceOffset = 1_000_000_000_000;
    const changeAll = async (allowed: boolean) => {
      const messages = await Promise.all(
        subjects.map(async (subjectId) => {
          sourceOffset += 1;
          const record = fixtureDecisionRecord(subjectId, purpose, { allowed, sourceOffset });
          return {
            key: `${subjectId}|${purpose}`,
            value: await serde.encode(valueSubject(stateTopic), record),
          };
        }),
      );
      await producer.send({ topic: stateTopic, acks: ACKS_ALL, messages });
    };
    const followersCut = async () => {
      const metrics = await fetch(`${decisionsUrl}/metrics`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      const match = /^consent_audience_followers_cut_total (\d+)/m.exec(await metrics.text());
      return Number(match?.[1] ?? 0);
    };
    await decisionBecomes({ subjectId: subjects.at(-1)!, purpose }, { allowed: true });
    const cutBefore = await followersCut();

    // A client that asks to follow and then reads nothing.
    const { hostname, port } = new URL(decisionsUrl);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.pause();
    socket.write(
      `GET /v1/purposes/${purpose}/audience?follow=true HTTP/1.1\r\nHost: ${hostname}\r\n` +
        `Authorization: Bearer ${TEST_ADMIN_KEY}\r\nAccept: application/x-ndjson\r\n\r\n`,
    );
    // Changes until the stream waits for the client with more than 50 of them behind it.
    const deadline = Date.now() + 100_000;
    let allowed = false;
    while ((await followersCut()) === cutBefore) {
      if (Date.now() > deadline) throw new Error('the follower that does not read was not cut');
      await changeAll(allowed);
      allowed = !allowed;
    }
    await producer.disconnect();

    // Its last line says why, and the answer ends (the last chunk of a chunked body).
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(socket, 'end');
    socket.resume();
    await ended;
    const answer = Buffer.concat(chunks).toString();
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/"error":"AUDIENCE\.FOLLOWER_TOO_SLOW"[^\n]*\n\r\n0\r\n\r\n$/);
    socket.destroy();
  });

  it('denies a key whose state record cannot be read, and applies the records behind it', async () => {
    const poisoned = uniqueName('poisoned');
    const later = uniqueName('later');
    await record(event(poisoned, 'marketing.email', 'GRANT', 'DE'));
    await decisionBecomes({ subjectId: poisoned, purpose: 'marketing.email' }, { allowed: true });
    // A record that is not Avro, keyed like the subject's decision, on every partition: whatever
    // partition the next decision lands on, it is behind an unreadable record.
    const kafka = createKafkaClient(environment.config.kafka, 'poison');
    const stateTopic = consentTopics(environment.config.kafka.topicPrefix).state;
    const admin = kafka.admin();
    await admin.connect();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [stateTopic] })).topics;
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: stateTopic,
      messages: metadata!.partitions.map(({ partitionId }) => ({
        partition: partitionId,
        key: `${poisoned}|marketing.email`,
        value: Buffer.from('not a consent decision'),
      })),
    });
    await producer.disconnect();
    await decisionBecomes(
      { subjectId: poisoned, purpose: 'marketing.email' },
      { allowed: false, reason: 'VIEW_BEHIND_LOG' },
    );
    await record(event(later, 'marketing.email', 'GRANT', 'DE'));
    await decisionBecomes(
      { subjectId: later, purpose: 'marketing.email' },
      { allowed: true, reason: 'CONSENT_GRANTED' },
    );
  });

  it('fails closed when the view stops hearing from the broker, and recovers', async () => {
    const strict = await createDecisionApi({
      ...environment.config,
      decisions: { ...environment.config.decisions, maxStalenessMs: 1_500 },
    });
    const strictUrl = await listenOnLoopback(strict);
    const subjectId = uniqueName('fresh');
    await record(event(subjectId, 'marketing.push', 'GRANT', 'DE'));
    try {
      await waitFor(
        async () => (await decision({ subjectId, purpose: 'marketing.push' }, strictUrl)).allowed,
        {
          timeoutMs: 30_000,
          description: 'the grant in the strict instance',
        },
      );
      const resume = freezeLocalBroker();
      try {
        await waitFor(
          async () =>
            (await decision({ subjectId, purpose: 'marketing.push' }, strictUrl)).reason ===
            'VIEW_BEHIND_LOG',
          {
            timeoutMs: 20_000,
            description: 'deny with VIEW_BEHIND_LOG while the broker is frozen',
          },
        );
        const answer = await decision({ subjectId, purpose: 'marketing.push' }, strictUrl);
        expect(answer.allowed).toBe(false);
        expect((await decision({ subjectId, purpose: 'transactional' }, strictUrl)).allowed).toBe(
          true,
        );
      } finally {
        resume();
      }
      await waitFor(
        async () => (await decision({ subjectId, purpose: 'marketing.push' }, strictUrl)).allowed,
        {
          timeoutMs: 60_000,
          description: 'allowed again once the broker is back',
        },
      );
    } finally {
      await strict.close();
    }
  });
});
