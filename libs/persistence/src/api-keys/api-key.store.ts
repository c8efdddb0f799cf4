/** The DI token of the {@link ApiKeyStore}. */
export const API_KEY_STORE = Symbol('API_KEY_STORE');

/** A managed key as stored: never its secrets, only their SHA-256 and expiry. */
export interface StoredApiKey {
  readonly keyId: string;
  readonly role: string | null;
  readonly scopes: readonly string[];
  readonly channels: readonly string[] | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly revokedAt: Date | null;
  readonly updatedAt: Date;
  readonly secrets: ReadonlyArray<{ readonly sha256: Buffer; readonly expiresAt: Date | null }>;
}

/** One administrative action, as the admin audit log keeps it. */
export interface AdminAuditEntry {
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details: Record<string, unknown>;
}

/** Where managed API keys and the admin audit log are kept. */
export interface ApiKeyStore {
  find(keyId: string): Promise<StoredApiKey | undefined>;
  list(): Promise<StoredApiKey[]>;
  /** Creates the key with its first secret; false when the id is taken. Logs the action. */
  create(
    key: {
      readonly keyId: string;
      readonly role: string | null;
      readonly scopes: readonly string[];
      readonly channels: readonly string[] | null;
      readonly secretSha256: Buffer;
      /** The key's earlier secrets still valid (a seeded key taken over), with their expiry. */
      readonly keptSecrets?: ReadonlyArray<{ sha256: Buffer; expiresAt: Date }>;
    },
    audit: { readonly actor: string; readonly action: string },
  ): Promise<boolean>;
  /** Adds a secret; the others stop being valid at `othersExpireAt` at the latest. Logs it. */
  rotate(
    keyId: string,
    secretSha256: Buffer,
    othersExpireAt: Date,
    actor: string,
  ): Promise<StoredApiKey | undefined>;
  /** Revokes the key (idempotent). Logs it. */
  revoke(keyId: string, actor: string): Promise<StoredApiKey | undefined>;
  /** Records an administrative action taken elsewhere (an erasure, a key-encryption-key rotation). */
  audit(entry: Omit<AdminAuditEntry, 'seq' | 'at'>): Promise<void>;
  /** The admin audit log in [from, to), oldest first. */
  auditLog(from: Date, to: Date, limit: number): Promise<AdminAuditEntry[]>;
}
