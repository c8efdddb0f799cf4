import { createHmac } from 'node:crypto';
import { seal, unseal } from './envelope';

/** The direct identifiers the vault holds for a subject. */
export const identifierKinds = ['EMAIL', 'PHONE', 'CRM_ID', 'DEVICE_ID'] as const;
export type IdentifierKind = (typeof identifierKinds)[number];

/**
 * The form a value is compared in: an email address trimmed and lower-cased, a phone number with
 * only its digits and leading +, ids trimmed; all in Unicode NFC.
 */
export function normaliseIdentifier(kind: IdentifierKind, value: string): string {
  const text = value.normalize('NFC').trim();
  switch (kind) {
    case 'EMAIL':
      return text.toLowerCase();
    case 'PHONE':
      return text.replace(/^00/, '+').replace(/[^\d+]/g, '');
    default:
      return text;
  }
}

/**
 * The blind index of a value: HMAC-SHA256 under the vault's blind-index key of its kind and
 * normalised form. Equal values give equal indexes, so lookups work; without the key, the index
 * cannot be turned back into the value, even by trying every email address one knows.
 */
export function blindIndex(key: Buffer, kind: IdentifierKind, value: string): Buffer {
  return createHmac('sha256', key)
    .update(`${kind}\u0000${normaliseIdentifier(kind, value)}`, 'utf8')
    .digest();
}

/** What an identifier is sealed under: a ciphertext moved to another subject or kind does not open. */
const identifierContext = (subjectId: string, kind: string) => `${subjectId}/${kind}`;

/** Seals a subject's identifier (normalised) with the subject's data key. */
export function sealIdentifier(
  dataKey: Buffer,
  subjectId: string,
  kind: IdentifierKind,
  value: string,
): Buffer {
  return seal(
    dataKey,
    Buffer.from(normaliseIdentifier(kind, value), 'utf8'),
    identifierContext(subjectId, kind),
  );
}

/** Opens what {@link sealIdentifier} sealed for the same subject and kind. */
export function openIdentifier(
  dataKey: Buffer,
  subjectId: string,
  kind: string,
  sealed: Buffer,
): string {
  return unseal(dataKey, sealed, identifierContext(subjectId, kind)).toString('utf8');
}
