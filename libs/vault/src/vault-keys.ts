import type { Provider } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { KeyEncryptionKeyService } from './key-encryption-key';
import { LocalKeyFileKms } from './local-key-file.kms';

/** The DI token of the {@link VaultKeys}. */
export const VAULT_KEYS = Symbol('VAULT_KEYS');

/** What the identity vault needs of its keys: the KMS that wraps data keys, the blind-index key. */
export interface VaultKeys {
  readonly kms: KeyEncryptionKeyService;
  readonly blindIndexKey: Buffer;
}

/** The vault's keys from the local key file (VAULT_KEY_FILE), created on first start. */
export const vaultKeysProvider: Provider = {
  provide: VAULT_KEYS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): VaultKeys => {
    const kms = LocalKeyFileKms.open(config.vault.keyFile);
    return { kms, blindIndexKey: kms.blindIndexKey() };
  },
};
