import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@consent-ledger/http';
import { ERASURE_STORE, IDENTITY_VAULT_STORE } from '@consent-ledger/persistence';
import type {
  ErasureStore,
  IdentityVaultStore,
  StoredIdentifier,
} from '@consent-ledger/persistence';
import {
  blindIndex,
  newDataKey,
  openIdentifier,
  sealIdentifier,
  VAULT_KEYS,
} from '@consent-ledger/vault';
import type { IdentifierKind, VaultKeys } from '@consent-ledger/vault';

/** A subject's direct identifiers as a caller gives and reads them. */
export interface SubjectIdentifiers {
  readonly email?: string;
  readonly phone?: string;
  readonly crmId?: string;
  readonly deviceIds?: readonly string[];
}

/** The identifier kinds a request field stands for. */
const fieldKinds = {
  email: 'EMAIL',
  phone: 'PHONE',
  crmId: 'CRM_ID',
  deviceIds: 'DEVICE_ID',
} as const satisfies Record<keyof SubjectIdentifiers, IdentifierKind>;

/** Data keys rewrapped per round trip during a key-encryption-key rotation. */
const REWRAP_BATCH = 1_000;

/**
 * The identity vault: a subject's direct identifiers, each sealed with the subject's own data key
 * (AES-256-GCM), the data key wrapped by the key-encryption key, and found by blind index.
 * Nothing in clear is stored; the clear values exist only in a request and its answer.
 */
@Injectable()
export class IdentityVaultService {
  constructor(
    @Inject(IDENTITY_VAULT_STORE) private readonly store: IdentityVaultStore,
    @Inject(VAULT_KEYS) private readonly keys: VaultKeys,
    @Inject(ERASURE_STORE) private readonly erasures: ErasureStore,
  ) {}

  /**
   * Replaces the kinds of identifier the request gives (a kind left out is kept as it was). An
   * erased subject takes none (409 SUBJECT.ERASED), and an identifier of an erased subject is not
   * taken again for anyone (409 IDENTIFIER.ERASED naming the field): its suppression stands.
   */
  async put(subjectId: string, identifiers: SubjectIdentifiers): Promise<IdentifierKind[]> {
    const given = valuesByKind(identifiers);
    const indexed = given.map(({ kind, value }) => ({
      kind,
      value,
      blindIndex: blindIndex(this.keys.blindIndexKey, kind, value),
    }));
    // Both checks at once: each is a round trip of its own.
    const [erasure, erased] = await Promise.all([
      this.erasures.find(subjectId),
      this.store.erasedAmong(indexed),
    ]);
    if (erasure) throw subjectErased(subjectId);
    if (erased.length > 0) throw identifierErased(erased, indexed);
    const stored = await this.store.dataKey(subjectId, async () => {
      const wrapped = await this.keys.kms.wrap(newDataKey());
      return { kekId: wrapped.kekId, wrappedKey: wrapped.bytes };
    });
    const dataKey = await this.keys.kms.unwrap({ kekId: stored.kekId, bytes: stored.wrappedKey });
    const sealed: StoredIdentifier[] = indexed.map(({ kind, value, blindIndex }) => ({
      kind,
      blindIndex,
      sealedValue: sealIdentifier(dataKey, subjectId, kind, value),
    }));
    const kinds = [...new Set(kindsGiven(identifiers))];
    // Refused when the subject's erasure began meanwhile.
    if (!(await this.store.replaceIdentifiers(subjectId, kinds, sealed)))
      throw subjectErased(subjectId);
    return kinds;
  }

  /**
   * The subject's identifiers, opened with its data key; empty when it has none, and for an
   * erased subject (even while its key is held for downstream deletions).
   */
  async get(subjectId: string): Promise<SubjectIdentifiers> {
    const [stored, erasure] = await Promise.all([
      this.store.existingDataKey(subjectId),
      this.erasures.find(subjectId),
    ]);
    if (!stored || erasure) return {};
    const dataKey = await this.keys.kms.unwrap({ kekId: stored.kekId, bytes: stored.wrappedKey });
    const values = new Map<string, string[]>();
    for (const identifier of await this.store.identifiersOf(subjectId)) {
      const value = openIdentifier(dataKey, subjectId, identifier.kind, identifier.sealedValue);
      values.set(identifier.kind, [...(values.get(identifier.kind) ?? []), value]);
    }
    const first = (kind: IdentifierKind) => values.get(kind)?.[0];
    return {
      ...(first('EMAIL') ? { email: first('EMAIL') } : {}),
      ...(first('PHONE') ? { phone: first('PHONE') } : {}),
      ...(first('CRM_ID') ? { crmId: first('CRM_ID') } : {}),
      ...(values.has('DEVICE_ID') ? { deviceIds: values.get('DEVICE_ID') } : {}),
    };
  }

  /**
   * Makes a new key-encryption key current and rewraps every data key with it, a batch at a time,
   * while the vault keeps answering (each data key is readable under its old KEK until its row is
   * rewrapped). Repeats until no key is wrapped otherwise: keys another instance wrapped with the
   * old KEK meanwhile are rewrapped too.
   */
  async rotateKeyEncryptionKey(
    onProgress: (rewrapped: number) => void = () => undefined,
  ): Promise<{ kekId: string; rewrapped: number }> {
    const kekId = await this.keys.kms.rotate();
    let rewrapped = 0;
    for (;;) {
      const batch = await this.store.keysNotWrappedBy(kekId, REWRAP_BATCH);
      // Done, or another rotation made a newer KEK current: that one rewraps the rest.
      if (batch.length === 0 || this.keys.kms.currentKekId() !== kekId) return { kekId, rewrapped };
      const next = await Promise.all(
        batch.map(async ({ subjectId, ...from }) => {
          const dataKey = await this.keys.kms.unwrap({ kekId: from.kekId, bytes: from.wrappedKey });
          const wrapped = await this.keys.kms.wrap(dataKey);
          return { subjectId, from, to: { kekId: wrapped.kekId, wrappedKey: wrapped.bytes } };
        }),
      );
      rewrapped += await this.store.rewrap(next);
      onProgress(rewrapped);
    }
  }

  /**
   * The subjects holding this identifier, found by its blind index, and whether it belonged to an
   * erased subject (then it is suppressed: nobody may be contacted through it).
   */
  async lookup(
    kind: IdentifierKind,
    value: string,
  ): Promise<{ subjectIds: string[]; erased: boolean }> {
    const index = blindIndex(this.keys.blindIndexKey, kind, value);
    const [subjectIds, erased] = await Promise.all([
      this.store.subjectsByBlindIndex(kind, index),
      this.store.erasedAmong([{ kind, blindIndex: index }]),
    ]);
    return { subjectIds, erased: erased.length > 0 };
  }

  /**
   * Crypto-shreds the subject: its data key and sealed identifiers are destroyed, so every
   * ciphertext sealed with that key (here and in any copy) is unreadable; the blind indexes stay
   * as suppression entries. Returns how many identifiers it held. Idempotent.
   */
  shred(subjectId: string): Promise<number> {
    return this.store.shred(subjectId);
  }

  /**
   * Makes the subject's identifiers suppression entries (lookups say erased, re-imports are
   * refused) while their key is still held for downstream deletions. Idempotent.
   */
  suppress(subjectId: string): Promise<void> {
    return this.store.suppressIdentifiers(subjectId);
  }
}

const subjectErased = (subjectId: string) =>
  new AppError(
    'SUBJECT.ERASED',
    'Subject erased',
    `Subject '${subjectId}' was erased at their request; the vault takes nothing of theirs again.`,
    [{ field: 'subjectId', code: 'SUBJECT.ERASED', message: 'this subject was erased' }],
  );

/** The request fields of identifier kinds. */
const kindFields = Object.fromEntries(
  Object.entries(fieldKinds).map(([field, kind]) => [kind, field]),
) as Record<IdentifierKind, keyof SubjectIdentifiers>;

/** 409 naming each field whose identifier belonged to an erased subject. */
function identifierErased(
  erased: ReadonlyArray<{ kind: string; blindIndex: Buffer }>,
  given: ReadonlyArray<{ kind: IdentifierKind; blindIndex: Buffer }>,
): AppError {
  const fields = given
    .filter((entry) =>
      erased.some((e) => e.kind === entry.kind && e.blindIndex.equals(entry.blindIndex)),
    )
    .map((entry) => kindFields[entry.kind]);
  return new AppError(
    'IDENTIFIER.ERASED',
    'Identifier of an erased subject',
    'An identifier given belonged to a person who asked to be erased; it stays suppressed and is not taken again.',
    [...new Set(fields)].map((field) => ({
      field,
      code: 'IDENTIFIER.ERASED',
      message: 'belonged to an erased subject',
    })),
  );
}

function kindsGiven(identifiers: SubjectIdentifiers): IdentifierKind[] {
  return (Object.keys(fieldKinds) as Array<keyof SubjectIdentifiers>)
    .filter((field) => identifiers[field] !== undefined)
    .map((field) => fieldKinds[field]);
}

function valuesByKind(
  identifiers: SubjectIdentifiers,
): Array<{ kind: IdentifierKind; value: string }> {
  const { email, phone, crmId, deviceIds = [] } = identifiers;
  return [
    ...(email === undefined ? [] : [{ kind: 'EMAIL' as const, value: email }]),
    ...(phone === undefined ? [] : [{ kind: 'PHONE' as const, value: phone }]),
    ...(crmId === undefined ? [] : [{ kind: 'CRM_ID' as const, value: crmId }]),
    ...deviceIds.map((value) => ({ kind: 'DEVICE_ID' as const, value })),
  ];
}
