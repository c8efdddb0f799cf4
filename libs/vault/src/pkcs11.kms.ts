import { readFileSync } from 'node:fs';
import type { KeyEncryptionKeyService, WrappedKey } from './key-encryption-key';

/** How long a call to the key service may take before it fails. */
const CALL_TIMEOUT_MS = 5_000;
/** How often the current KEK is asked for, so that a rotation by another instance is learnt. */
const CURRENT_REFRESH_MS = 1_000;

export class KeyServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KeyServiceError';
  }
}

/**
 * The KMS port on a PKCS#11 token (an HSM; SoftHSM2 in tests), through the key service of
 * `deploy/kms/Pkcs11KeyService.java` on loopback: the key-encryption keys are generated and kept
 * in the token, data keys are wrapped and unwrapped there with AES-256-GCM, and no KEK ever
 * reaches this process. Calls carry the service's bearer token (VAULT_PKCS11_TOKEN_FILE).
 */
export class Pkcs11Kms implements KeyEncryptionKeyService {
  private current: string;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly url: string,
    private readonly token: string,
    current: string,
  ) {
    this.current = current;
    this.timer = setInterval(() => void this.refreshCurrent(), CURRENT_REFRESH_MS);
    this.timer.unref();
  }

  /** Connects to the key service and learns its current KEK. */
  static async connect(url: string, tokenFile: string): Promise<Pkcs11Kms> {
    const token = readFileSync(tokenFile, 'utf8').trim();
    const base = url.replace(/\/$/, '');
    const { kekId } = await call<{ kekId: string }>(base, token, 'GET', '/current');
    return new Pkcs11Kms(base, token, kekId);
  }

  currentKekId(): string {
    return this.current;
  }

  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    const wrapped = await call<{ kekId: string; bytes: string }>(
      this.url,
      this.token,
      'POST',
      '/wrap',
      { plaintext: dataKey.toString('base64') },
    );
    this.current = wrapped.kekId;
    return { kekId: wrapped.kekId, bytes: Buffer.from(wrapped.bytes, 'base64') };
  }

  async unwrap(wrapped: WrappedKey): Promise<Buffer> {
    const { plaintext } = await call<{ plaintext: string }>(
      this.url,
      this.token,
      'POST',
      '/unwrap',
      {
        kekId: wrapped.kekId,
        bytes: wrapped.bytes.toString('base64'),
      },
    );
    return Buffer.from(plaintext, 'base64');
  }

  async rotate(): Promise<string> {
    const { kekId } = await call<{ kekId: string }>(this.url, this.token, 'POST', '/rotations');
    this.current = kekId;
    return kekId;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async refreshCurrent(): Promise<void> {
    try {
      this.current = (await call<{ kekId: string }>(this.url, this.token, 'GET', '/current')).kekId;
    } catch {
      // The next wrap or rotation fails loudly; until then the last known KEK stands.
    }
  }
}

async function call<T>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok)
    throw new KeyServiceError(
      response.status,
      `PKCS#11 key service ${path}: ${response.status} ${text}`,
    );
  return JSON.parse(text) as T;
}
