import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readOrCreateKeyFile, writeKeyFile } from '@consent-ledger/config';

/** One Ed25519 signing key of the keyring, by id. */
interface StoredSigningKey {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly createdAt: string;
}

interface KeyringFile {
  readonly format: 'consent-ledger/link-signing-keys@1';
  readonly current: string;
  readonly keys: Readonly<Record<string, StoredSigningKey>>;
}

/** A public key as the preference centre fetches it. */
export interface PublicSigningKey {
  readonly keyId: string;
  /** SPKI PEM. */
  readonly publicKey: string;
  readonly createdAt: string;
  readonly current: boolean;
}

/**
 * The keys preference links are signed with, in a local file (mode 0600) created on first start:
 * Ed25519 key pairs by id, the newest current. A rotation adds a key and makes it current; links
 * signed with an older key keep verifying until that key is retired (after the longest link
 * lifetime), so rotating never breaks a link already sent.
 */
export class LinkSigningKeyring {
  private modifiedAt: number;

  private constructor(
    private readonly path: string,
    private keyring: KeyringFile,
  ) {
    this.modifiedAt = statSync(path).mtimeMs;
  }

  /** Opens the keyring at `path`, creating it (and its folder, mode 0700) when missing. */
  static open(path: string): LinkSigningKeyring {
    return new LinkSigningKeyring(path, readOrCreate(path));
  }

  /** The current key's id and private key (PKCS#8 PEM), for signing. */
  signingKey(): { readonly keyId: string; readonly privateKey: string } {
    this.reloadIfChanged();
    const keyId = this.keyring.current;
    return { keyId, privateKey: this.keyring.keys[keyId]!.privateKey };
  }

  /** Every key's public half: what verifiers need, nothing secret. */
  publicKeys(): PublicSigningKey[] {
    this.reloadIfChanged();
    return Object.entries(this.keyring.keys).map(([keyId, key]) => ({
      keyId,
      publicKey: key.publicKey,
      createdAt: key.createdAt,
      current: keyId === this.keyring.current,
    }));
  }

  /** Adds a key and makes it current; returns its id. */
  rotate(): string {
    this.reload();
    const keyId = newKeyId();
    this.keyring = {
      ...this.keyring,
      current: keyId,
      keys: { ...this.keyring.keys, [keyId]: newSigningKey() },
    };
    writeKeyFile(this.path, this.keyring);
    this.modifiedAt = statSync(this.path).mtimeMs;
    return keyId;
  }

  /** Another instance may have rotated: look at the file's modification time. */
  private reloadIfChanged(): void {
    if (statSync(this.path).mtimeMs !== this.modifiedAt) this.reload();
  }

  private reload(): void {
    this.modifiedAt = statSync(this.path).mtimeMs;
    this.keyring = JSON.parse(readFileSync(this.path, 'utf8')) as KeyringFile;
  }
}

const newKeyId = () => `lk-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

function newSigningKey(): StoredSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey, createdAt: new Date().toISOString() };
}

function readOrCreate(path: string): KeyringFile {
  return readOrCreateKeyFile<KeyringFile>(path, () => {
    const keyId = newKeyId();
    return {
      format: 'consent-ledger/link-signing-keys@1',
      current: keyId,
      keys: { [keyId]: newSigningKey() },
    };
  });
}
