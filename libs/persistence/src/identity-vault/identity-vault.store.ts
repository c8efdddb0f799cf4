/** The DI token of the {@link IdentityVaultStore}. */
export const IDENTITY_VAULT_STORE = Symbol('IDENTITY_VAULT_STORE');

/** A subject's data key as kept: wrapped by a key-encryption key. */
export interface StoredDataKey {
  readonly kekId: string;
  readonly wrappedKey: Buffer;
}

/** One identifier as kept: its kind, its blind index and its value sealed with the data key. */
export interface StoredIdentifier {
  readonly kind: string;
  readonly blindIndex: Buffer;
  readonly sealedValue: Buffer;
}

/** A subject's identifier of one kind, sealed, beside the subject's wrapped data key. */
export interface SealedIdentifierOf extends StoredDataKey {
  readonly subjectId: string;
  readonly kind: string;
  readonly sealedValue: Buffer;
}

/** Where the identity vault keeps data keys and sealed identifiers; it never sees a clear value. */
export interface IdentityVaultStore {
  /** The subject's data key; `proposed` is kept when it has none yet (the first writer wins). */
  dataKey(subjectId: string, proposed: () => Promise<StoredDataKey>): Promise<StoredDataKey>;
  /** The subject's data key, if it has one. */
  existingDataKey(subjectId: string): Promise<StoredDataKey | undefined>;
  /**
   * Replaces the subject's identifiers of the given kinds with these, in one transaction that
   * holds the subject's data key: false (nothing written) when the subject's erasure was
   * requested or its key is gone, so an identifier put while the subject is being erased is
   * either refused or shredded with the rest.
   */
  replaceIdentifiers(
    subjectId: string,
    kinds: readonly string[],
    identifiers: readonly StoredIdentifier[],
  ): Promise<boolean>;
  identifiersOf(subjectId: string): Promise<StoredIdentifier[]>;
  /**
   * The identifiers of one kind that these subjects hold, each with its subject's data key: what
   * a connector opens to address a vendor that keys people by, say, their email address. A
   * subject without such an identifier, or whose key is destroyed, is left out.
   */
  sealedIdentifiersOf(
    subjectIds: readonly string[],
    kind: string,
  ): Promise<Array<SealedIdentifierOf>>;
  /**
   * Makes the subject's identifiers suppression entries (their blind indexes kept as erased)
   * while the sealed values and the data key stay, as an erasure does before downstream systems
   * that address the person through the vault have deleted them. Idempotent.
   */
  suppressIdentifiers(subjectId: string): Promise<void>;
  /** The subjects holding an identifier of this kind and blind index. */
  subjectsByBlindIndex(kind: string, blindIndex: Buffer): Promise<string[]>;
  /**
   * Crypto-shreds the subject, in one transaction: its identifiers' blind indexes become
   * suppression entries, its sealed identifiers and its data key are deleted. Returns how many
   * identifiers it held. Idempotent.
   */
  shred(subjectId: string): Promise<number>;
  /** Which of these (kind, blind index) pairs belonged to an erased subject. */
  erasedAmong(
    identifiers: ReadonlyArray<{ readonly kind: string; readonly blindIndex: Buffer }>,
  ): Promise<Array<{ kind: string; blindIndex: Buffer }>>;
  /** Up to `limit` data keys wrapped by another KEK than `kekId`, by subject. */
  keysNotWrappedBy(
    kekId: string,
    limit: number,
  ): Promise<Array<StoredDataKey & { readonly subjectId: string }>>;
  /**
   * Replaces data keys with their rewrapped form, each only if it is still wrapped as it was read
   * (a key rewrapped meanwhile by another rotation is left as it is); returns how many changed.
   */
  rewrap(
    keys: ReadonlyArray<{
      readonly subjectId: string;
      readonly from: StoredDataKey;
      readonly to: StoredDataKey;
    }>,
  ): Promise<number>;
}
