import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readOrCreateKeyFile, writeKeyFile } from '@consent-ledger/config';
import { seal, unseal } from './envelope';
import type { KeyEncryptionKeyService, WrappedKey } from './key-encryption-key';

/** What the key file holds: KEKs by id (the newest current) and the blind-index key. */
interface KeyFile {
  readonly format: 'consent-ledger/vault-keys@1';
  readonly current: string;
  readonly keks: Readonly<Record<string, string>>;
  readonly blindIndexKey: string;
}

/** The context every wrapped data key is sealed under. */
const WRAP_CONTEXT = 'consent-ledger/data-key';

/**
 * The vault's keys in a local file (mode 0600), created on first start: the key-encryption keys
 * and the blind-index key. For development and small installations; production puts the KEK in a
 * KMS or an HSM behind {@link KeyEncryptionKeyService}.
 */
export class LocalKeyFileKms implements KeyEncryptionKeyService {
  /** When the file was last looked at, and its modification time then. */
  private checkedAt = Date.now();
  private modifiedAt: number;

  private constructor(
    private readonly path: string,
    private keys: KeyFile,
  ) {
    this.modifiedAt = statSync(path).mtimeMs;
  }

  /** Opens the key file at `path`, creating it (and its folder, mode 0700) when missing. */
  static open(path: string): LocalKeyFileKms {
    return new LocalKeyFileKms(path, readOrCreate(path));
  }

  currentKekId(): string {
    this.reloadIfChanged();
    return this.keys.current;
  }

  /** The key that blind indexes are keyed with (HMAC-SHA256): never leaves the process. */
  blindIndexKey(): Buffer {
    return Buffer.from(this.keys.blindIndexKey, 'base64');
  }

  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    const kekId = this.currentKekId();
    return { kekId, bytes: seal(this.kek(kekId), dataKey, WRAP_CONTEXT) };
  }

  async unwrap(wrapped: WrappedKey): Promise<Buffer> {
    return unseal(this.kek(wrapped.kekId), wrapped.bytes, WRAP_CONTEXT);
  }

  /**
   * Adds a new KEK and makes it current; the older ones stay to unwrap what they wrapped until
   * every data key is rewrapped. Other instances reading the same file see it within a second.
   */
  async rotate(): Promise<string> {
    this.reload();
    const kekId = `kek-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    this.keys = {
      ...this.keys,
      current: kekId,
      keks: { ...this.keys.keks, [kekId]: randomBytes(32).toString('base64') },
    };
    writeKeyFile(this.path, this.keys);
    this.modifiedAt = statSync(this.path).mtimeMs;
    return kekId;
  }

  /** Another instance may have rotated: look at the file at most once a second. */
  private reloadIfChanged(): void {
    if (Date.now() - this.checkedAt < 1_000) return;
    this.checkedAt = Date.now();
    if (statSync(this.path).mtimeMs !== this.modifiedAt) this.reload();
  }

  private reload(): void {
    this.modifiedAt = statSync(this.path).mtimeMs;
    this.keys = JSON.parse(readFileSync(this.path, 'utf8')) as KeyFile;
  }

  private kek(kekId: string): Buffer {
    // A key wrapped by another instance after it rotated: read the file again once.
    if (!this.keys.keks[kekId]) this.reload();
    const key = this.keys.keks[kekId];
    if (!key) throw new Error(`the vault's key file holds no key-encryption key '${kekId}'`);
    return Buffer.from(key, 'base64');
  }
}

function readOrCreate(path: string): KeyFile {
  return readOrCreateKeyFile<KeyFile>(path, () => {
    const kekId = `kek-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    return {
      format: 'consent-ledger/vault-keys@1',
      current: kekId,
      keks: { [kekId]: randomBytes(32).toString('base64') },
      blindIndexKey: randomBytes(32).toString('base64'),
    };
  });
}
