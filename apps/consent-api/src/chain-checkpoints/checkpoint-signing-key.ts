import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChainCheckpointSettings } from '@consent-ledger/config';
import { signingKeyFrom } from '@consent-ledger/kafka';

/**
 * The Ed25519 key checkpoints are signed with, read from its file. Outside production a missing
 * key is created (mode 0600), with its public key next to it for auditors; in production it must
 * be provisioned, and its absence is an error that names the setting.
 */
export function loadSigningKey(settings: ChainCheckpointSettings): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  let pem: string;
  try {
    pem = readFileSync(settings.keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!settings.createKeyIfMissing)
      throw new Error(
        'CHAIN_CHECKPOINT_KEY_FILE: no signing key at the configured path; provision an Ed25519 key (PKCS#8 PEM) there',
      );
    pem = createKeyFiles(settings);
  }
  return signingKeyFrom(pem);
}

function createKeyFiles(settings: ChainCheckpointSettings): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  mkdirSync(dirname(settings.keyFile), { recursive: true, mode: 0o700 });
  try {
    // 'wx': another instance starting at the same moment may have written it first; keep theirs.
    writeFileSync(settings.keyFile, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(settings.keyFile, 'utf8');
    throw error;
  }
  writeFileSync(
    settings.publicKeyFile,
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    { mode: 0o644 },
  );
  return pem;
}
