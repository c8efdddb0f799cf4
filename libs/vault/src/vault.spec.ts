import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDataKey, seal, unseal } from './envelope';
import { blindIndex, normaliseIdentifier } from './identifier-kinds';
import { LocalKeyFileKms } from './local-key-file.kms';

describe('envelope encryption', () => {
  it('opens what it sealed, and nothing sealed under another key or context', () => {
    const key = newDataKey();
    const sealed = seal(key, Buffer.from('alice@example.com'), 'subject-1/EMAIL');

    expect(unseal(key, sealed, 'subject-1/EMAIL').toString()).toBe('alice@example.com');
    expect(sealed.toString('latin1')).not.toContain('alice');
    expect(() => unseal(newDataKey(), sealed, 'subject-1/EMAIL')).toThrow();
    expect(() => unseal(key, sealed, 'subject-2/EMAIL')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => unseal(key, tampered, 'subject-1/EMAIL')).toThrow();
  });
});

describe('blind index', () => {
  const key = newDataKey();

  it('is equal for the same identifier however it was written', () => {
    expect(blindIndex(key, 'EMAIL', ' Alice@Example.COM ')).toEqual(
      blindIndex(key, 'EMAIL', 'alice@example.com'),
    );
    expect(blindIndex(key, 'PHONE', '0049 (30) 123-4567')).toEqual(
      blindIndex(key, 'PHONE', '+49301234567'),
    );
    expect(normaliseIdentifier('PHONE', '0049 (30) 123-4567')).toBe('+49301234567');
  });

  it('differs by kind, by value and by key', () => {
    const index = blindIndex(key, 'CRM_ID', '42');
    expect(index).not.toEqual(blindIndex(key, 'DEVICE_ID', '42'));
    expect(index).not.toEqual(blindIndex(key, 'CRM_ID', '43'));
    expect(index).not.toEqual(blindIndex(newDataKey(), 'CRM_ID', '42'));
  });
});

describe('LocalKeyFileKms', () => {
  const path = () => join(mkdtempSync(join(tmpdir(), 'vault-keys-')), 'keys', 'vault.json');

  it('creates its key file on first start, readable by its owner only, and reads it again', async () => {
    const file = path();
    const first = LocalKeyFileKms.open(file);
    const wrapped = await first.wrap(Buffer.from('k'.repeat(32)));

    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = LocalKeyFileKms.open(file);
    expect((await again.unwrap(wrapped)).toString()).toBe('k'.repeat(32));
    expect(again.blindIndexKey()).toEqual(first.blindIndexKey());
  });

  it('rotates to a new key-encryption key and still unwraps what the old one wrapped', async () => {
    const file = path();
    const kms = LocalKeyFileKms.open(file);
    const before = await kms.wrap(Buffer.from('d'.repeat(32)));

    const rotated = await kms.rotate();
    const after = await kms.wrap(Buffer.from('e'.repeat(32)));

    expect(rotated).not.toBe(before.kekId);
    expect(after.kekId).toBe(rotated);
    expect((await kms.unwrap(before)).toString()).toBe('d'.repeat(32));
    expect(JSON.parse(readFileSync(file, 'utf8')).current).toBe(rotated);
  });

  it('unwraps a key another instance wrapped after it rotated the shared file', async () => {
    const file = path();
    const ours = LocalKeyFileKms.open(file);
    const theirs = LocalKeyFileKms.open(file);

    await theirs.rotate();
    const wrappedByThem = await theirs.wrap(Buffer.from('f'.repeat(32)));

    expect((await ours.unwrap(wrappedByThem)).toString()).toBe('f'.repeat(32));
  });
});
