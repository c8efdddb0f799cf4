import type { ProposedEvent } from '@consent-ledger/consent-domain';
import { keyedEvidenceHash } from '@consent-ledger/vault';

/**
 * The event with its personal evidence (IP address, user agent) keyed-hashed under `key`: neither
 * reaches Kafka, the read model or a log in clear. A caller's `ipAddressHash` is hashed again
 * with the key whatever it holds: an unkeyed hash of an address is no protection.
 */
export function withKeyedEvidence(event: ProposedEvent, key: Buffer): ProposedEvent {
  const { evidence } = event;
  if (!evidence || (evidence.ipAddressHash === null && evidence.userAgent === null)) return event;
  const hashed = (field: string, value: string | null) =>
    value === null ? null : keyedEvidenceHash(key, field, value);
  return {
    ...event,
    evidence: {
      ...evidence,
      ipAddressHash: hashed('ipAddress', evidence.ipAddressHash),
      userAgent: hashed('userAgent', evidence.userAgent),
    },
  };
}
