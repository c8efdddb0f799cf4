import { createHmac, hkdfSync } from 'node:crypto';

/** The form evidence fields take once keyed-hashed: the algorithm, then the hex digest. */
export const KEYED_HASH_PREFIX = 'hmac-sha256:';

/** The evidence key: derived from the vault's blind-index key, for this use only (HKDF-SHA256). */
export function evidenceKeyFrom(blindIndexKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', blindIndexKey, Buffer.alloc(0), 'consent-ledger/evidence', 32),
  );
}

/**
 * A personal evidence value (an IP address, a user agent) as it may reach Kafka: its keyed hash
 * under the evidence key, labelled by field. Equal values give equal hashes, so a proof can show
 * that two choices came from the same browser; without the key nobody can test guesses (an
 * unkeyed hash of an IPv4 address is reversed by trying all four billion).
 */
export function keyedEvidenceHash(key: Buffer, field: string, value: string): string {
  return `${KEYED_HASH_PREFIX}${createHmac('sha256', key).update(`${field}\u0000${value}`, 'utf8').digest('hex')}`;
}
