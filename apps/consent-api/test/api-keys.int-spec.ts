import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { childEnvironment } from '@consent-ledger/config';
import {
  choiceRequest,
  createTestEnvironment,
  startPipeline,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { Pipeline, TestEnvironment } from '@consent-ledger/testing';

const run = promisify(execFile);
const KEYS_CLI = 'apps/consent-api/src/api-keys/api-keys.cli.ts';

describe('managed API keys and roles, on every app', () => {
  let environment: TestEnvironment;
  let pipeline: Pipeline;

  const call = async (url: string, method: string, key: string, body?: unknown) => {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const admin = (method: string, path: string, body?: unknown) =>
    call(`${pipeline.url('consent-api')}${path}`, method, TEST_ADMIN_KEY, body);

  /** What each app answers a key: recording consent, asking a decision, reading the audit log. */
  const answers = async (key: string) => ({
    record: (
      await call(
        `${pipeline.url('consent-api')}/v1/consent-events`,
        'POST',
        key,
        choiceRequest(uniqueName('keyed'), 'marketing.email', 'GRANT'),
      )
    ).status,
    decide: (
      await call(`${pipeline.url('decision-api')}/v1/decisions`, 'POST', key, {
        subjectId: 'anyone',
        purpose: 'marketing.email',
      })
    ).status,
    audit: (await call(`${pipeline.url('auditor')}/v1/audit/admin-log`, 'GET', key)).status,
  });
  const until = (key: string, expected: { record: number; decide: number; audit: number }) =>
    waitFor(async () => JSON.stringify(await answers(key)) === JSON.stringify(expected), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: `every app answers ${JSON.stringify(expected)}`,
    });

  beforeAll(async () => {
    environment = await createTestEnvironment();
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api', 'projector', 'decision-api', 'auditor'],
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await environment?.dispose();
  });

  it('admits a new key by its role on every app within seconds, rotates it with an overlap, and refuses it everywhere once revoked', async () => {
    // Given a collector key and a downstream key, created by an admin
    const collector = await admin('POST', '/v1/api-keys', {
      keyId: 'web-banner-2',
      role: 'collector',
    });
    const downstream = await admin('POST', '/v1/api-keys', {
      keyId: 'crm-sync',
      role: 'downstream',
    });
    expect(collector).toMatchObject({
      status: 201,
      body: {
        keyId: 'web-banner-2',
        scopes: ['consent:write', 'consent:read', 'preference-link:issue'],
      },
    });
    const collectorSecret = collector.body.secret as string;
    const downstreamSecret = downstream.body.secret as string;

    // Then each is admitted where its role allows and refused (403) elsewhere, on every app
    await until(collectorSecret, { record: 202, decide: 403, audit: 403 });
    await until(downstreamSecret, { record: 403, decide: 200, audit: 403 });

    // When the collector key is rotated with an hour's overlap, both secrets work
    const rotated = await admin('POST', '/v1/api-keys/web-banner-2/rotations', {
      overlapSeconds: 3600,
    });
    expect(rotated.status).toBe(201);
    const newSecret = rotated.body.secret as string;
    await until(newSecret, { record: 202, decide: 403, audit: 403 });
    expect((await answers(collectorSecret)).record).toBe(202);

    // And rotated again with no overlap, the first secret is refused everywhere
    const again = await admin('POST', '/v1/api-keys/web-banner-2/rotations', { overlapSeconds: 0 });
    await until(collectorSecret, { record: 401, decide: 401, audit: 401 });
    await until(again.body.secret as string, { record: 202, decide: 403, audit: 403 });

    // When it is revoked, every app refuses it within seconds
    const revokedAt = Date.now();
    expect((await admin('DELETE', '/v1/api-keys/web-banner-2')).status).toBe(200);
    await until(again.body.secret as string, { record: 401, decide: 401, audit: 401 });
    expect(Date.now() - revokedAt).toBeLessThan(10_000);

    // And the list shows the keys without a secret, and the admin log every action
    const listed = await admin('GET', '/v1/api-keys');
    const text = JSON.stringify(listed.body);
    for (const secret of [collectorSecret, newSecret, downstreamSecret])
      expect(text.includes(secret)).toBe(false);
    expect(listed.body.keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ keyId: 'web-banner-2', revokedAt: expect.any(String) }),
        expect.objectContaining({ keyId: 'crm-sync', role: 'downstream', revokedAt: null }),
        expect.objectContaining({ keyId: 'admin', source: 'environment' }),
      ]),
    );
    const log = await call(`${pipeline.url('auditor')}/v1/audit/admin-log`, 'GET', TEST_ADMIN_KEY);
    expect(
      (log.body.entries as Array<{ actor: string; action: string; target: string }>).map(
        ({ actor, action, target }) => `${actor} ${action} ${target}`,
      ),
    ).toEqual([
      'admin api-key.create web-banner-2',
      'admin api-key.create crm-sync',
      'admin api-key.rotate web-banner-2',
      'admin api-key.rotate web-banner-2',
      'admin api-key.revoke web-banner-2',
    ]);

    // And no table holds a secret: only their SHA-256
    const client = new Client({ connectionString: environment.config.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM api_key_secret
          WHERE position(convert_to($1, 'UTF8') in secret_sha256) > 0`,
        [downstreamSecret],
      );
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });

  it('is managed from the shell too: the keys CLI creates, lists and revokes through the admin API', async () => {
    const keys = async (...args: string[]) => {
      const { stdout } = await run(
        process.execPath,
        ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', KEYS_CLI, ...args],
        {
          env: childEnvironment({
            TS_NODE_TRANSPILE_ONLY: 'true',
            CONSENT_API_URL: pipeline.url('consent-api'),
            ADMIN_API_KEY: TEST_ADMIN_KEY,
          }),
        },
      );
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    // Given a key created from the shell with the auditor role
    const created = await keys('create', '--id', 'shell-auditor', '--role', 'auditor');
    expect(created).toMatchObject({
      keyId: 'shell-auditor',
      scopes: ['audit:read', 'consent:read'],
    });
    const secret = created.secret as string;
    // Then it reads the audit log, lists, and once revoked from the shell is refused
    await until(secret, { record: 403, decide: 403, audit: 200 });
    expect(((await keys('list')).keys as Array<{ keyId: string }>).map((k) => k.keyId)).toContain(
      'shell-auditor',
    );
    expect(await keys('revoke', 'shell-auditor')).toMatchObject({ revokedAt: expect.any(String) });
    await until(secret, { record: 401, decide: 401, audit: 401 });
  });

  it('refuses a key whose role and scopes are both given, or an id already used', async () => {
    expect(
      await admin('POST', '/v1/api-keys', {
        keyId: 'both',
        role: 'auditor',
        scopes: ['audit:read'],
      }),
    ).toMatchObject({ status: 400 });
    expect(await admin('POST', '/v1/api-keys', { keyId: 'admin', role: 'auditor' })).toMatchObject({
      status: 409,
      body: { code: 'API_KEY.EXISTS' },
    });
  });
});
