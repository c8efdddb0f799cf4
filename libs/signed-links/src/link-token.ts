import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * What a signed preference link grants: the person it opens the preference centre for (a
 * pseudonymous subject id), under which jurisdiction, and until when. A link for one-click
 * unsubscribe (RFC 8058) names the one purpose a POST to it withdraws.
 */
export interface PreferenceLinkClaims {
  readonly subjectId: string;
  /** The jurisdiction the person is under, as the operator knows it; null to use the ledger's. */
  readonly jurisdiction: string | null;
  /** One-click unsubscribe links only: the purpose a POST withdraws. */
  readonly purpose?: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Why a link was refused; each has its own page in the preference centre. */
export type LinkRefusal =
  'LINK.MALFORMED' | 'LINK.UNKNOWN_KEY' | 'LINK.BAD_SIGNATURE' | 'LINK.EXPIRED';

export type LinkVerification =
  | { readonly ok: true; readonly claims: PreferenceLinkClaims; readonly keyId: string }
  | { readonly ok: false; readonly refusal: LinkRefusal };

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/**
 * `<key id>.<claims>.<signature>`: the claims as base64url JSON, signed (Ed25519) over the key id
 * and the claims, so a link cannot be moved to another key or altered. Short enough for a URL.
 */
export function signLinkToken(
  claims: PreferenceLinkClaims,
  keyId: string,
  privateKeyPem: string,
): string {
  const signed = `${keyId}.${base64url(JSON.stringify(claims))}`;
  const signature = sign(null, Buffer.from(signed, 'utf8'), createPrivateKey(privateKeyPem));
  return `${signed}.${base64url(signature)}`;
}

/**
 * Checks a link against the public keys by id (every key not yet retired, so links signed before a
 * rotation keep working until they expire) at `nowSeconds`.
 */
export function verifyLinkToken(
  token: string,
  publicKeys: ReadonlyMap<string, KeyObject | string>,
  nowSeconds: number,
): LinkVerification {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part)))
    return { ok: false, refusal: 'LINK.MALFORMED' };
  const [keyId, payload, signature] = parts as [string, string, string];
  const key = publicKeys.get(keyId);
  if (!key) return { ok: false, refusal: 'LINK.UNKNOWN_KEY' };
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
  const genuine = verify(
    null,
    Buffer.from(`${keyId}.${payload}`, 'utf8'),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!genuine) return { ok: false, refusal: 'LINK.BAD_SIGNATURE' };
  const claims = claimsFrom(payload);
  if (!claims) return { ok: false, refusal: 'LINK.MALFORMED' };
  if (claims.expiresAt <= nowSeconds) return { ok: false, refusal: 'LINK.EXPIRED' };
  return { ok: true, claims, keyId };
}

function claimsFrom(payload: string): PreferenceLinkClaims | undefined {
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const valid =
      typeof claims.subjectId === 'string' &&
      (claims.jurisdiction === null || typeof claims.jurisdiction === 'string') &&
      (claims.purpose === undefined || typeof claims.purpose === 'string') &&
      Number.isInteger(claims.issuedAt) &&
      Number.isInteger(claims.expiresAt);
    return valid ? (claims as unknown as PreferenceLinkClaims) : undefined;
  } catch {
    return undefined;
  }
}
