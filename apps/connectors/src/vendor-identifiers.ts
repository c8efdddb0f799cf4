import type { VendorIdentifier } from '@consent-ledger/config';
import { NonRetriableError } from '@consent-ledger/kafka';
import type { IdentityVaultStore } from '@consent-ledger/persistence';
import { openIdentifier } from '@consent-ledger/vault';
import type { IdentifierKind, KeyEncryptionKeyService } from '@consent-ledger/vault';

/** How a connector names people to its vendor: the vendor's identifier of each subject. */
export interface VendorIdentifiers {
  readonly identifiedBy: VendorIdentifier;
  /**
   * The vendor identifier of each subject, in the order given. Throws NonRetriableError
   * (SUBJECT.NO_VENDOR_IDENTIFIER) when a subject has none: the sink then delivers the others
   * without it and dead-letters that subject's update with the reason.
   */
  of(subjectIds: readonly string[]): Promise<string[]>;
}

/** Vendors that know people by our pseudonymous subject id (their "external id"). */
export const externalIds: VendorIdentifiers = {
  identifiedBy: 'external-id',
  of: async (subjectIds) => [...subjectIds],
};

/** The vault's identifier kind for each vendor identifier it can open. */
const vaultKinds: Record<Exclude<VendorIdentifier, 'external-id'>, IdentifierKind> = {
  email: 'EMAIL',
};

/**
 * Vendors that know people by an identifier the identity vault holds (an email platform keyed by
 * email address): each subject's identifier is opened at call time with its data key and lives
 * only in the call, never on a topic, a log line or another table. After an erasure the data key
 * is gone and the identifier with it.
 */
export function vaultIdentifiers(
  identifiedBy: Exclude<VendorIdentifier, 'external-id'>,
  store: IdentityVaultStore,
  kms: KeyEncryptionKeyService,
): VendorIdentifiers {
  const kind = vaultKinds[identifiedBy];
  return {
    identifiedBy,
    of: async (subjectIds) => {
      const sealed = await store.sealedIdentifiersOf(subjectIds, kind);
      const opened = new Map(
        await Promise.all(
          sealed.map(async (entry): Promise<[string, string]> => {
            const dataKey = await kms.unwrap({ kekId: entry.kekId, bytes: entry.wrappedKey });
            return [
              entry.subjectId,
              openIdentifier(dataKey, entry.subjectId, kind, entry.sealedValue),
            ];
          }),
        ),
      );
      return subjectIds.map((subjectId) => {
        const identifier = opened.get(subjectId);
        if (identifier === undefined)
          throw new NonRetriableError(
            'SUBJECT.NO_VENDOR_IDENTIFIER',
            `the identity vault holds no ${identifiedBy} for subject '${subjectId}' (none was given, or the subject was erased): the vendor cannot be told`,
          );
        return identifier;
      });
    },
  };
}
