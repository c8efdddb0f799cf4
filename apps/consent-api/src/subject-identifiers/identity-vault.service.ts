import { Inject, Injectable } from '@nestjs/common';
import { IDENTITY_VAULT_STORE } from '@consent-ledger/persistence';
import type { IdentityVaultStore, StoredIdentifier } from '@consent-ledger/persistence';
import {
  blindIndex,
  newDataKey,
  normaliseIdentifier,
  seal,
  unseal,
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

/** What each value is sealed under: a ciphertext moved to another subject or kind does not open. */
const sealingContext = (subjectId: string, kind: string) => `${subjectId}/${kind}`;

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
  ) {}

  /** Replaces the kinds of identifier the request gives (a kind left out is kept as it was). */
  async put(subjectId: string, identifiers: SubjectIdentifiers): Promise<IdentifierKind[]> {
    const stored = await this.store.dataKey(subjectId, async () => {
      const wrapped = await this.keys.kms.wrap(newDataKey());
      return { kekId: wrapped.kekId, wrappedKey: wrapped.bytes };
    });
    const dataKey = await this.keys.kms.unwrap({ kekId: stored.kekId, bytes: stored.wrappedKey });
    const given = valuesByKind(identifiers);
    const sealed: StoredIdentifier[] = given.map(({ kind, value }) => ({
      kind,
      blindIndex: blindIndex(this.keys.blindIndexKey, kind, value),
      sealedValue: seal(
        dataKey,
        Buffer.from(normaliseIdentifier(kind, value), 'utf8'),
        sealingContext(subjectId, kind),
      ),
    }));
    const kinds = [...new Set(kindsGiven(identifiers))];
    await this.store.replaceIdentifiers(subjectId, kinds, sealed);
    return kinds;
  }

  /** The subject's identifiers, opened with its data key; empty when it has none. */
  async get(subjectId: string): Promise<SubjectIdentifiers> {
    const stored = await this.store.existingDataKey(subjectId);
    if (!stored) return {};
    const dataKey = await this.keys.kms.unwrap({ kekId: stored.kekId, bytes: stored.wrappedKey });
    const values = new Map<string, string[]>();
    for (const identifier of await this.store.identifiersOf(subjectId)) {
      const value = unseal(
        dataKey,
        identifier.sealedValue,
        sealingContext(subjectId, identifier.kind),
      ).toString('utf8');
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

  /** The subjects holding this identifier, found by its blind index. */
  lookup(kind: IdentifierKind, value: string): Promise<string[]> {
    return this.store.subjectsByBlindIndex(kind, blindIndex(this.keys.blindIndexKey, kind, value));
  }
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
