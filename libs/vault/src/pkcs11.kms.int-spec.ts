import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startPkcs11KeyService, waitFor } from '@consent-ledger/testing';
import type { Pkcs11KeyServiceUnderTest } from '@consent-ledger/testing';
import { newDataKey, seal, unseal } from './envelope';
import { KeyServiceError, Pkcs11Kms } from './pkcs11.kms';

describe('the vault’s key-encryption keys in a PKCS#11 token (SoftHSM2)', () => {
  let service: Pkcs11KeyServiceUnderTest;
  let kms: Pkcs11Kms;

  beforeAll(async () => {
    service = await startPkcs11KeyService();
    kms = await Pkcs11Kms.connect(service.url, service.tokenFile);
  });

  afterAll(async () => {
    kms?.close();
    await service?.dispose();
  });

  it('wraps a data key inside the token and unwraps it to the same bytes, never sending it back in clear', async () => {
    const dataKey = newDataKey();
    const wrapped = await kms.wrap(dataKey);
    expect(wrapped.kekId).toBe(kms.currentKekId());
    expect(wrapped.bytes.includes(dataKey)).toBe(false);
    expect((await kms.unwrap(wrapped)).equals(dataKey)).toBe(true);
    // And what the data key seals opens with the unwrapped key
    const sealed = seal(dataKey, Buffer.from('alice@example.com'), 'subject/EMAIL');
    expect(unseal(await kms.unwrap(wrapped), sealed, 'subject/EMAIL').toString()).toBe(
      'alice@example.com',
    );
  });

  it('rotates to a new KEK while keys wrapped by the old one still unwrap, also after a restart', async () => {
    const before = await kms.wrap(newDataKey());
    const rotated = await kms.rotate();
    expect(rotated).not.toBe(before.kekId);
    const after = await kms.wrap(newDataKey());
    expect(after.kekId).toBe(rotated);
    // The keys live in the token: a restarted service knows them
    await service.stop();
    await service.start();
    expect((await kms.unwrap(before)).length).toBe(32);
    expect((await kms.unwrap(after)).length).toBe(32);
  });

  it('tells another instance of a rotation within seconds', async () => {
    const other = await Pkcs11Kms.connect(service.url, service.tokenFile);
    try {
      const rotated = await kms.rotate();
      await waitFor(() => other.currentKekId() === rotated, {
        timeoutMs: 5_000,
        description: 'the other instance on the new KEK',
      });
    } finally {
      other.close();
    }
  });

  it('refuses a wrapped key that was altered, and a caller without the service’s token', async () => {
    const wrapped = await kms.wrap(newDataKey());
    const altered = Buffer.from(wrapped.bytes);
    altered[altered.length - 1]! ^= 0x01;
    await expect(kms.unwrap({ kekId: wrapped.kekId, bytes: altered })).rejects.toMatchObject({
      status: 400,
    });
    const wrongToken = join(tmpdir(), `wrong-token-${process.pid}`);
    writeFileSync(wrongToken, 'not-the-token\n');
    await expect(Pkcs11Kms.connect(service.url, wrongToken)).rejects.toBeInstanceOf(
      KeyServiceError,
    );
  });
});
