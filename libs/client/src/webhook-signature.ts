import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header each webhook carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'consent-ledger-signature';
/** The header naming the notification: the same on every attempt of one notification. */
export const WEBHOOK_ID_HEADER = 'consent-ledger-notification-id';

/** How old a signature may be, by default, before a receiver refuses it (replay). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The signature header for `body` sent at `timestamp` (unix seconds): HMAC-SHA256 with the
 * subscription's secret over `<timestamp>.<body>`, hex, as the well-known payment platforms
 * sign their webhooks. Signing the timestamp with the body makes a captured request useless
 * once it is older than the receiver's tolerance.
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/** Why a webhook was refused. */
export type WebhookRefusal = 'MALFORMED_HEADER' | 'TOO_OLD' | 'SIGNATURE_MISMATCH';

/**
 * Verifies a webhook as its receiver must: `body` exactly as received (the raw bytes, not a
 * re-serialised JSON), the header's timestamp within `toleranceSeconds` of now, and one of its
 * `v1` signatures (several while a secret is rotated) equal to ours, compared in constant time.
 * Returns null when it holds, else the reason to refuse it (answer 400 and drop it).
 *
 * ```ts
 * const refusal = verifyWebhook(secret, request.headers['consent-ledger-signature'], rawBody);
 * if (refusal) return reply.status(400).send({ refused: refusal });
 * ```
 */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  { now = Date.now(), toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = {},
): WebhookRefusal | null {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([name]) => name === 't').map(([, value]) => Number(value));
  const signatures = parts.filter(([name]) => name === 'v1').map(([, value]) => value ?? '');
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || !Number.isSafeInteger(timestamp) || signatures.length === 0)
    return 'MALFORMED_HEADER';
  if (Math.abs(now / 1000 - timestamp!) > toleranceSeconds) return 'TOO_OLD';
  const expected = Buffer.from(hmac(secret, timestamp!, body), 'hex');
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? null : 'SIGNATURE_MISMATCH';
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
