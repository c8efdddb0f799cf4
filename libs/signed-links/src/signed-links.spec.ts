import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkSigningKeyring } from './link-signing-keys';
import { signLinkToken, verifyLinkToken } from './link-token';
import type { PreferenceLinkClaims } from './link-token';

const claims: PreferenceLinkClaims = {
  subjectId: 'subject-1',
  jurisdiction: 'DE',
  issuedAt: 1_000,
  expiresAt: 2_000,
};

function keyring(): LinkSigningKeyring {
  return LinkSigningKeyring.open(join(mkdtempSync(join(tmpdir(), 'links-')), 'keys.json'));
}

const publicKeysOf = (ring: LinkSigningKeyring) =>
  new Map(ring.publicKeys().map((key) => [key.keyId, key.publicKey]));

describe('signed preference links', () => {
  it('verifies what the current key signed, until it expires', () => {
    const ring = keyring();
    const { keyId, privateKey } = ring.signingKey();
    const token = signLinkToken(claims, keyId, privateKey);
    expect(verifyLinkToken(token, publicKeysOf(ring), 1_500)).toEqual({ ok: true, claims, keyId });
    expect(verifyLinkToken(token, publicKeysOf(ring), 2_000)).toEqual({
      ok: false,
      refusal: 'LINK.EXPIRED',
    });
  });

  it('refuses a link whose claims were altered, or moved to another key', () => {
    const ring = keyring();
    const { keyId, privateKey } = ring.signingKey();
    const [, , signature] = signLinkToken(claims, keyId, privateKey).split('.');
    const altered = Buffer.from(JSON.stringify({ ...claims, subjectId: 'someone-else' })).toString(
      'base64url',
    );
    expect(verifyLinkToken(`${keyId}.${altered}.${signature}`, publicKeysOf(ring), 1_500)).toEqual({
      ok: false,
      refusal: 'LINK.BAD_SIGNATURE',
    });
    const newer = ring.rotate();
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    expect(verifyLinkToken(`${newer}.${payload}.${signature}`, publicKeysOf(ring), 1_500)).toEqual({
      ok: false,
      refusal: 'LINK.BAD_SIGNATURE',
    });
  });

  it('keeps links signed before a rotation working, and signs new ones with the new key', () => {
    const ring = keyring();
    const before = ring.signingKey();
    const old = signLinkToken(claims, before.keyId, before.privateKey);
    const rotated = ring.rotate();
    expect(ring.signingKey().keyId).toBe(rotated);
    expect(ring.publicKeys().map((key) => [key.keyId, key.current])).toEqual([
      [before.keyId, false],
      [rotated, true],
    ]);
    expect(verifyLinkToken(old, publicKeysOf(ring), 1_500).ok).toBe(true);
  });

  it('refuses malformed links and keys it does not know, without throwing', () => {
    const ring = keyring();
    for (const token of ['', 'a.b', 'a.b.c.d', 'x.<script>.y', 'lk.bm90LWpzb24.c2ln'])
      expect(verifyLinkToken(token, publicKeysOf(ring), 1_500)).toMatchObject({ ok: false });
    expect(verifyLinkToken('lk-unknown.e30.c2ln', publicKeysOf(ring), 1_500)).toEqual({
      ok: false,
      refusal: 'LINK.UNKNOWN_KEY',
    });
  });
});
