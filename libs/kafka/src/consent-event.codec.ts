import { createHash } from 'node:crypto';
import { canonicalEventText } from '@consent-ledger/consent-domain';
import type { ConsentEvent } from '@consent-ledger/consent-domain';

/** Lowercase hex SHA-256 of the event's canonical text: the link in the subject's hash chain. */
export function hashConsentEvent(event: ConsentEvent): string {
  return createHash('sha256').update(canonicalEventText(event)).digest('hex');
}

/** Lowercase hex SHA-256 of any text (request fingerprints, IP hashing). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
