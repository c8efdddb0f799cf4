import type { Provider } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import type { KeyEncryptionKeyService } from './key-encryption-key';
import { LocalKeyFileKms } from './local-key-file.kms';
import { Pkcs11Kms } from './pkcs11.kms';

/** The DI token of the {@link VaultKeys}. */
export const VAULT_KEYS = Symbol('VAULT_KEYS');

/** What the identity vault needs of its keys: the KMS that wraps data keys, the blind-index key. */
export interface VaultKeys {
  readonly kms: KeyEncryptionKeyService;
  readonly blindIndexKey: Buffer;
}

/**
 * The vault's keys: the blind-index key from the local key file (VAULT_KEY_FILE, created on first
 * start), and the key-encryption keys there too, or in a PKCS#11 token behind its key service
 * (VAULT_KMS=pkcs11).
 */
export const vaultKeysProvider: Provider = {
  provide: VAULT_KEYS,
  inject: [APP_CONFIG],
  useFactory: async (config: AppConfig): Promise<VaultKeys> => {
    const file = LocalKeyFileKms.open(config.vault.keyFile);
    if (config.vault.kms === 'local-file')
      return { kms: file, blindIndexKey: file.blindIndexKey() };
    const { url, tokenFile } = config.vault.pkcs11;
    if (!tokenFile) throw new Error('VAULT_KMS=pkcs11 needs VAULT_PKCS11_TOKEN_FILE');
    return { kms: await Pkcs11Kms.connect(url, tokenFile), blindIndexKey: file.blindIndexKey() };
  },
};
