import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { API_KEY_ROLES, APP_CONFIG } from '@consent-ledger/config';
import type { ApiKeyRole, AppConfig } from '@consent-ledger/config';
import { AppError } from '@consent-ledger/http';
import { ApiKeyPublisher } from '@consent-ledger/kafka';
import type { ManagedKeyRecord } from '@consent-ledger/kafka';
import { API_KEY_STORE } from '@consent-ledger/persistence';
import type { ApiKeyStore, StoredApiKey } from '@consent-ledger/persistence';

/** A key as the admin API shows it: never a secret nor a digest. */
export interface ApiKeyView {
  readonly keyId: string;
  readonly role: string | null;
  readonly scopes: readonly string[];
  readonly channels: readonly string[] | null;
  /** `managed` (this API) or `environment` (seeded from API_KEYS, not yet managed). */
  readonly source: 'managed' | 'environment';
  readonly createdAt: string | null;
  readonly revokedAt: string | null;
  /** When each valid secret stops being valid (null: until rotated or revoked). */
  readonly secretsValidUntil: ReadonlyArray<string | null>;
}

/** A new secret, shown this once. */
export interface IssuedSecret {
  readonly keyId: string;
  readonly secret: string;
  readonly scopes: readonly string[];
  /** When the key's earlier secrets stop being valid (a rotation); absent for a new key. */
  readonly previousSecretsValidUntil?: string;
}

export interface NewKey {
  readonly keyId: string;
  readonly role?: ApiKeyRole | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly channels?: readonly string[] | undefined;
}

const sha256 = (secret: string) => createHash('sha256').update(secret).digest();
const newSecret = () => `clk_${randomBytes(32).toString('base64url')}`;

/**
 * Managed API keys: created with a role (or scopes), rotated with an overlap during which the old
 * secret still works, revoked; stored hashed in PostgreSQL, each change logged in the admin audit
 * log and published to `consent.api-keys.v1`, which every app follows, so a change holds on every
 * app within a second, without a restart. Keys seeded from `API_KEYS` keep working until they are
 * rotated or revoked here (then they become managed). At start, every managed key is published
 * again, so a publish that failed after its commit is made good.
 */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    @Inject(API_KEY_STORE) private readonly store: ApiKeyStore,
    private readonly publisher: ApiKeyPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const keys = await this.store.list();
    await this.publisher
      .publish(keys.map(recordOf))
      .catch((error: Error) =>
        this.logger.warn({ msg: 'managed keys not republished at start', error: error.message }),
      );
  }

  async create(request: NewKey, actor: string): Promise<IssuedSecret> {
    const scopes = request.role ? [...API_KEY_ROLES[request.role]] : [...(request.scopes ?? [])];
    if (this.seeded(request.keyId)) throw keyExists(request.keyId);
    const secret = newSecret();
    const created = await this.store.create(
      {
        keyId: request.keyId,
        role: request.role ?? null,
        scopes,
        channels: request.channels ? [...request.channels] : null,
        secretSha256: sha256(secret),
      },
      { actor, action: 'api-key.create' },
    );
    if (!created) throw keyExists(request.keyId);
    await this.publish(request.keyId);
    return { keyId: request.keyId, secret, scopes };
  }

  async list(): Promise<ApiKeyView[]> {
    const managed = await this.store.list();
    const managedIds = new Set(managed.map((key) => key.keyId));
    const now = Date.now();
    return [
      ...managed.map((key) => viewOf(key, now)),
      ...this.config.apiKeys
        .filter((key) => !managedIds.has(key.id))
        .map((key): ApiKeyView => ({
          keyId: key.id,
          role: null,
          scopes: key.scopes,
          channels: key.channels ?? null,
          source: 'environment',
          createdAt: null,
          revokedAt: null,
          secretsValidUntil: [null],
        })),
    ];
  }

  /** A new secret; the key's other secrets stay valid for `overlapSeconds` more. */
  async rotate(keyId: string, overlapSeconds: number, actor: string): Promise<IssuedSecret> {
    const until = new Date(Date.now() + overlapSeconds * 1000);
    await this.takeOverSeeded(keyId, until, actor);
    const secret = newSecret();
    const rotated = await this.store.rotate(keyId, sha256(secret), until, actor);
    if (!rotated) throw keyNotFound(keyId);
    await this.publish(keyId);
    return {
      keyId,
      secret,
      scopes: rotated.scopes,
      previousSecretsValidUntil: until.toISOString(),
    };
  }

  async revoke(keyId: string, actor: string): Promise<ApiKeyView> {
    await this.takeOverSeeded(keyId, new Date(), actor);
    const revoked = await this.store.revoke(keyId, actor);
    if (!revoked) throw keyNotFound(keyId);
    await this.publish(keyId);
    return viewOf(revoked, Date.now());
  }

  /** A seeded key rotated or revoked becomes managed, its seeded secret valid until `until`. */
  private async takeOverSeeded(keyId: string, until: Date, actor: string): Promise<void> {
    const seeded = this.seeded(keyId);
    if (!seeded || (await this.store.find(keyId))) return;
    // Its first managed secret is one nobody holds: the seeded one goes on until `until`.
    await this.store.create(
      {
        keyId,
        role: null,
        scopes: seeded.scopes,
        channels: seeded.channels ? [...seeded.channels] : null,
        secretSha256: sha256(newSecret()),
        keptSecrets: [{ sha256: sha256(seeded.secret), expiresAt: until }],
      },
      { actor, action: 'api-key.take-over-seeded' },
    );
  }

  private seeded(keyId: string) {
    return this.config.apiKeys.find((key) => key.id === keyId);
  }

  private async publish(keyId: string): Promise<void> {
    const key = await this.store.find(keyId);
    if (key) await this.publisher.publish([recordOf(key)]);
  }
}

function recordOf(key: StoredApiKey): ManagedKeyRecord {
  return {
    keyId: key.keyId,
    role: key.role,
    scopes: key.scopes,
    channels: key.channels,
    secrets: key.secrets.map((secret) => ({
      sha256: secret.sha256.toString('hex'),
      expiresAt: secret.expiresAt?.toISOString() ?? null,
    })),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    updatedAt: key.updatedAt.toISOString(),
  };
}

function viewOf(key: StoredApiKey, now: number): ApiKeyView {
  return {
    keyId: key.keyId,
    role: key.role,
    scopes: key.scopes,
    channels: key.channels,
    source: 'managed',
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    secretsValidUntil: key.secrets
      .filter((secret) => secret.expiresAt === null || secret.expiresAt.getTime() > now)
      .map((secret) => secret.expiresAt?.toISOString() ?? null),
  };
}

const keyExists = (keyId: string) =>
  new AppError('API_KEY.EXISTS', 'Key exists', `A key with id '${keyId}' exists.`, [
    { field: 'keyId', code: 'API_KEY.EXISTS', message: 'already used' },
  ]);

const keyNotFound = (keyId: string) =>
  new AppError('API_KEY.NOT_FOUND', 'No such key', `No active key has id '${keyId}'.`);
