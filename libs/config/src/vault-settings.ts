import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from './config.schema';

/**
 * The identity vault's keys: the local key file (the blind-index key, and the key-encryption
 * keys unless a PKCS#11 token holds them), and where the PKCS#11 key service answers.
 */
export interface VaultSettings {
  readonly keyFile: string;
  readonly kms: 'local-file' | 'pkcs11';
  readonly pkcs11: { readonly url: string; readonly tokenFile?: string };
  /**
   * How long an erasure keeps the subject's data key for the downstream systems that address
   * the person by an identifier from the vault (an email platform keyed by email): until each
   * confirmed the delete, at most this long; and how often held erasures are looked at.
   */
  readonly erasureKeyHoldMs: number;
  readonly erasureSweepIntervalMs: number;
}

export function vaultSettings(env: Environment): VaultSettings {
  return {
    keyFile:
      env.VAULT_KEY_FILE ??
      join(homedir(), '.cache', 'consent-ledger', 'keys', 'identity-vault.json'),
    kms: env.VAULT_KMS,
    pkcs11: {
      url: env.VAULT_PKCS11_URL,
      ...(env.VAULT_PKCS11_TOKEN_FILE ? { tokenFile: env.VAULT_PKCS11_TOKEN_FILE } : {}),
    },
    erasureKeyHoldMs: env.ERASURE_KEY_HOLD_HOURS * 3_600_000,
    erasureSweepIntervalMs: env.ERASURE_SWEEP_INTERVAL_MS,
  };
}
