import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signWebhook, verifyWebhook } from '@consent-ledger/client';
import {
  ACKS_ALL,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
} from '@consent-ledger/kafka';
import {
  choiceRequest,
  createTestEnvironment,
  readTopicUntil,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';

const SECRETS = { ops: 'ops-secret-0123456789', chat: 'chat-secret-0123456789' };

/** A request a team's receiver got, and what it answered. */
interface Received {
  readonly notificationId: string;
  readonly signature: string;
  readonly body: string;
  readonly status: number;
}

/** A team's webhook receiver: records each request, answers what `answer` says. */
async function startReceiver(answer: (id: string, earlier: readonly Received[]) => number) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const notificationId = String(request.headers['consent-ledger-notification-id']);
      const earlier = received.filter((seen) => seen.notificationId === notificationId);
      const status = answer(notificationId, earlier);
      const signature = String(request.headers['consent-ledger-signature']);
      received.push({ notificationId, signature, body, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/**
 * Internal teams told: the connectors app sends signed webhooks for what each team subscribed to
 * (team-webhooks.yaml), retries a receiver that fails, and dead-letters what never got through.
 */
describe('team webhooks', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;
  let emailPlatform: FakeVendor;
  const receivers: Record<'ops' | 'chat' | 'down', Receiver> = {} as never;

  beforeAll(async () => {
    receivers.ops = await startReceiver((_id, earlier) => (earlier.length < 2 ? 500 : 204));
    receivers.chat = await startReceiver(() => 200);
    receivers.down = await startReceiver(() => 503);
    emailPlatform = await startFakeVendor(201);
    environment = await createTestEnvironment({
      EMAIL_PLATFORM_URL: emailPlatform.url,
      CONNECTORS: 'email-platform',
      TEAM_WEBHOOKS_FILE: subscriptionsFile(receivers),
      TEAM_WEBHOOKS_RETRY_BASE_MS: '200',
      TEAM_WEBHOOKS_MAX_ATTEMPTS: '3',
      TEAM_WEBHOOKS_POLL_INTERVAL_MS: '500',
    });
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api', 'projector', 'connectors'],
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await environment?.dispose();
    await emailPlatform?.close();
    await Promise.all(Object.values(receivers).map((receiver) => receiver.close()));
  });

  it('retries a failing receiver until it takes the notification, once in effect and verifiably signed', async () => {
    await writeUnreadableEvent(environment);
    const taken = await waitFor(
      () =>
        receivers.ops.received.find(
          (seen) => seen.status < 300 && seen.body.includes('"dead-letter"'),
        ),
      { timeoutMs: 30_000, description: 'the dead letter told to the ops team' },
    );
    const attempts = receivers.ops.received.filter(
      (seen) => seen.notificationId === taken.notificationId,
    );
    expect(attempts.map(({ status }) => status)).toEqual([500, 500, 204]);
    // Every attempt the same notification, each signed with the team's secret
    expect(new Set(attempts.map(({ body }) => body)).size).toBe(1);
    for (const attempt of attempts)
      expect(verifyWebhook(SECRETS.ops, attempt.signature, attempt.body)).toBeNull();
    expect(JSON.parse(taken.body)).toMatchObject({
      notificationId: taken.notificationId,
      type: 'dead-letter',
      details: { code: 'RECORD.NOT_AVRO', consumerGroup: expect.stringContaining('projector') },
    });
    // A forged signature, or one made with another team's secret, is refused by the documented check
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(SECRETS.ops, `t=${now},v1=${'ab'.repeat(32)}`, taken.body)).toBe(
      'SIGNATURE_MISMATCH',
    );
    expect(verifyWebhook(SECRETS.ops, signWebhook(SECRETS.chat, taken.body, now), taken.body)).toBe(
      'SIGNATURE_MISMATCH',
    );
    expect(verifyWebhook(SECRETS.ops, taken.signature, taken.body.replace('dead', 'live'))).toBe(
      'SIGNATURE_MISMATCH',
    );

    // A receiver that never answers well: its notification goes to the dead-letter topic
    const letters = await readTopicUntil(
      createKafkaClient(environment.config.kafka, 'webhook-dlq-reader'),
      consentTopics(environment.config.kafka.topicPrefix).webhookDeadLetter,
      (records) => records.some((record) => record.key?.startsWith('down:dead-letter:')),
    );
    expect(letters.find((record) => record.key?.startsWith('down:'))?.headers).toMatchObject({
      'dlq.error.message': 'HTTP 503',
      'webhook.attempts': '3',
    });
    expect(
      receivers.down.received.filter(({ notificationId }) =>
        notificationId.startsWith('down:dead-letter:'),
      ),
    ).toHaveLength(3);
    // ...and the ops team was not sent it again after taking it
    expect(
      receivers.ops.received.filter((seen) => seen.notificationId === taken.notificationId),
    ).toHaveLength(3);
  });

  it('tells of a withdrawal spike once, as Slack-compatible text to the team that asked for it', async () => {
    const people = Array.from({ length: 4 }, () => uniqueName('spike'));
    for (const subjectId of people)
      await record(pipeline, choiceRequest(subjectId, 'marketing.email', 'GRANT'));
    for (const subjectId of people)
      await record(
        pipeline,
        choiceRequest(subjectId, 'marketing.email', 'WITHDRAW', {
          occurredAt: new Date().toISOString(),
        }),
      );

    const told = await waitFor(
      () =>
        receivers.chat.received.find((seen) =>
          seen.body.includes('withdrawals of marketing.email'),
        ),
      { timeoutMs: 30_000, description: 'the spike told in Slack' },
    );
    expect(JSON.parse(told.body)).toMatchObject({
      text: expect.stringMatching(
        /^Consent Ledger · 4 withdrawals of marketing\.email within 60 s/,
      ),
    });
    expect(verifyWebhook(SECRETS.chat, told.signature, told.body)).toBeNull();
    await waitFor(
      () =>
        receivers.ops.received.some(
          (seen) => seen.status < 300 && seen.body.includes('"withdrawal-spike"'),
        ),
      {
        timeoutMs: 10_000,
        description: 'the spike told to the ops team too',
      },
    );
    expect(
      receivers.chat.received.filter((seen) => seen.body.includes('withdrawals of')),
    ).toHaveLength(1);
  });

  it('tells that an erasure is done once the data key is destroyed', async () => {
    const subjectId = uniqueName('erased');
    await record(pipeline, choiceRequest(subjectId, 'marketing.email', 'GRANT'));
    const erasure = await fetch(`${pipeline.url('consent-api')}/v1/subjects/${subjectId}/erasure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: '{}',
    });
    expect(erasure.status).toBe(202);
    const told = await waitFor(
      () =>
        receivers.ops.received.find(
          (seen) => seen.status < 300 && seen.notificationId === `ops:erasure-done:${subjectId}`,
        ),
      { timeoutMs: 30_000, description: 'the erasure told to the ops team' },
    );
    expect(JSON.parse(told.body)).toMatchObject({
      type: 'erasure-done',
      details: { subjectId },
    });
    expect(verifyWebhook(SECRETS.ops, told.signature, told.body)).toBeNull();
  });
});

function subscriptionsFile(receivers: Record<'ops' | 'chat' | 'down', Receiver>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'team-webhooks-')), 'team-webhooks.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      rules: { withdrawalSpike: { withdrawals: 3, withinSeconds: 60 } },
      subscriptions: [
        {
          name: 'ops',
          url: receivers.ops.url,
          events: ['dead-letter', 'withdrawal-spike', 'erasure-done'],
          secret: SECRETS.ops,
        },
        {
          name: 'chat',
          url: receivers.chat.url,
          format: 'slack',
          events: ['withdrawal-spike'],
          secret: SECRETS.chat,
        },
        {
          name: 'down',
          url: receivers.down.url,
          events: ['dead-letter'],
          secret: 'down-secret-0123456789',
        },
      ],
    }),
  );
  return file;
}

async function writeUnreadableEvent(environment: TestEnvironment): Promise<void> {
  const producer = createDurableProducer(createKafkaClient(environment.config.kafka, 'poison'));
  await producer.connect();
  await producer.send({
    topic: consentTopics(environment.config.kafka.topicPrefix).events,
    acks: ACKS_ALL,
    messages: [{ key: uniqueName('poison'), value: Buffer.from('not an Avro record') }],
  });
  await producer.disconnect();
}

async function record(pipeline: Pipeline, body: object): Promise<void> {
  const response = await fetch(`${pipeline.url('consent-api')}/v1/consent-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
}
