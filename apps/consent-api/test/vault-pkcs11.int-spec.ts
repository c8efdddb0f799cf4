import { Client } from 'pg';
import {
  createTestEnvironment,
  startPipeline,
  startPkcs11KeyService,
  TEST_ADMIN_KEY,
  uniqueName,
} from '@consent-ledger/testing';
import type { Pipeline, Pkcs11KeyServiceUnderTest, TestEnvironment } from '@consent-ledger/testing';

describe('the identity vault on a PKCS#11 token (VAULT_KMS=pkcs11, SoftHSM2)', () => {
  let environment: TestEnvironment;
  let keyService: Pkcs11KeyServiceUnderTest;
  let pipeline: Pipeline;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${pipeline.url('consent-api')}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const kekIds = async () => {
    const client = new Client({ connectionString: environment.config.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ kek_id: string }>(
        'SELECT DISTINCT kek_id FROM subject_data_key ORDER BY kek_id',
      );
      return rows.map((row) => row.kek_id);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    keyService = await startPkcs11KeyService();
    pipeline = await startPipeline({
      environment,
      apps: ['consent-api'],
      overrides: {
        VAULT_KMS: 'pkcs11',
        VAULT_PKCS11_URL: keyService.url,
        VAULT_PKCS11_TOKEN_FILE: keyService.tokenFile,
      },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await keyService?.dispose();
    await environment?.dispose();
  });

  it('seals identifiers under data keys the token wraps, and rotates the token’s KEK losing none', async () => {
    // Given subjects whose identifiers are put into the vault
    const subjects = Array.from({ length: 12 }, () => uniqueName('hsm'));
    for (const subjectId of subjects)
      expect(
        (
          await call('PUT', `/v1/subjects/${subjectId}/identifiers`, {
            email: `${subjectId}@hsm.example.com`,
          })
        ).status,
      ).toBe(200);
    // Then every data key is wrapped by a KEK of the token
    const [tokenKek, ...others] = await kekIds();
    expect(others).toEqual([]);
    expect(tokenKek).toMatch(/^kek-\d{15}$/);

    // When the KEK is rotated through the API
    const rotation = await call('POST', '/v1/vault/key-encryption-key/rotations', {});

    // Then every data key is rewrapped by the token's new KEK, and every identifier still opens
    expect(rotation).toMatchObject({ status: 200, body: { rewrapped: subjects.length } });
    expect(await kekIds()).toEqual([rotation.body.kekId]);
    for (const subjectId of subjects)
      expect((await call('GET', `/v1/subjects/${subjectId}/identifiers`)).body).toEqual({
        subjectId,
        identifiers: { email: `${subjectId}@hsm.example.com` },
      });
  });
});
