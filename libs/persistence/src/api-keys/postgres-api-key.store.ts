import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { queryPrepared } from '../prepared-query';
import { API_KEY_STORE } from './api-key.store';
import type { AdminAuditEntry, ApiKeyStore, StoredApiKey } from './api-key.store';

interface KeyRow {
  key_id: string;
  role: string | null;
  scopes: string[];
  channels: string[] | null;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
  updated_at: Date;
  secrets: Array<{ sha256: string; expires_at: string | null }> | null;
}

const KEY_COLUMNS = `k.key_id, k.role, k.scopes, k.channels, k.created_at, k.created_by, k.revoked_at,
  k.updated_at, (SELECT json_agg(json_build_object('sha256', encode(s.secret_sha256, 'hex'),
    'expires_at', s.expires_at) ORDER BY s.created_at) FROM api_key_secret s
    WHERE s.key_id = k.key_id) AS secrets`;

const keyOf = (row: KeyRow): StoredApiKey => ({
  keyId: row.key_id,
  role: row.role,
  scopes: row.scopes,
  channels: row.channels,
  createdAt: row.created_at,
  createdBy: row.created_by,
  revokedAt: row.revoked_at,
  updatedAt: row.updated_at,
  secrets: (row.secrets ?? []).map((secret) => ({
    sha256: Buffer.from(secret.sha256, 'hex'),
    expiresAt: secret.expires_at === null ? null : new Date(secret.expires_at),
  })),
});

async function logAction(
  manager: EntityManager,
  entry: { actor: string; action: string; target: string; details?: Record<string, unknown> },
): Promise<void> {
  await manager.query(
    'INSERT INTO admin_audit_entry (actor, action, target, details) VALUES ($1, $2, $3, $4)',
    [entry.actor, entry.action, entry.target, JSON.stringify(entry.details ?? {})],
  );
}

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async find(keyId: string): Promise<StoredApiKey | undefined> {
    return this.findWith(this.dataSource.manager, keyId);
  }

  async list(): Promise<StoredApiKey[]> {
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT ${KEY_COLUMNS} FROM api_key k ORDER BY k.key_id`,
    );
    return rows.map(keyOf);
  }

  async create(
    key: Parameters<ApiKeyStore['create']>[0],
    audit: { readonly actor: string; readonly action: string },
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO api_key (key_id, role, scopes, channels, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key_id) DO NOTHING RETURNING key_id`,
        [key.keyId, key.role, key.scopes, key.channels, audit.actor],
      );
      if (inserted.length === 0) return false;
      const secrets = [
        { sha256: key.secretSha256, expiresAt: null as Date | null },
        ...(key.keptSecrets ?? []),
      ];
      await manager.query(
        `INSERT INTO api_key_secret (secret_sha256, key_id, expires_at)
         SELECT s, $1, e FROM unnest($2::bytea[], $3::timestamptz[]) AS n(s, e)`,
        [key.keyId, secrets.map((s) => s.sha256), secrets.map((s) => s.expiresAt)],
      );
      await logAction(manager, {
        actor: audit.actor,
        action: audit.action,
        target: key.keyId,
        details: { role: key.role, scopes: key.scopes, channels: key.channels },
      });
      return true;
    });
  }

  async rotate(
    keyId: string,
    secretSha256: Buffer,
    othersExpireAt: Date,
    actor: string,
  ): Promise<StoredApiKey | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const locked: unknown[] = await manager.query(
        'SELECT 1 FROM api_key WHERE key_id = $1 AND revoked_at IS NULL FOR UPDATE',
        [keyId],
      );
      if (locked.length === 0) return undefined;
      await manager.query(
        `UPDATE api_key_secret SET expires_at = LEAST(COALESCE(expires_at, $2), $2)
          WHERE key_id = $1`,
        [keyId, othersExpireAt],
      );
      await manager.query('INSERT INTO api_key_secret (secret_sha256, key_id) VALUES ($1, $2)', [
        secretSha256,
        keyId,
      ]);
      await manager.query('UPDATE api_key SET updated_at = now() WHERE key_id = $1', [keyId]);
      await logAction(manager, {
        actor,
        action: 'api-key.rotate',
        target: keyId,
        details: { previousSecretsValidUntil: othersExpireAt.toISOString() },
      });
      return this.findWith(manager, keyId);
    });
  }

  async revoke(keyId: string, actor: string): Promise<StoredApiKey | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // node-postgres's rows: TypeORM's query answers an UPDATE with [rows, count] instead.
      const revoked = await queryPrepared(
        manager,
        `UPDATE api_key SET revoked_at = now(), updated_at = now()
          WHERE key_id = $1 AND revoked_at IS NULL RETURNING key_id`,
        [keyId],
      );
      if (revoked.length > 0)
        await logAction(manager, { actor, action: 'api-key.revoke', target: keyId });
      return this.findWith(manager, keyId);
    });
  }

  async audit(entry: Omit<AdminAuditEntry, 'seq' | 'at'>): Promise<void> {
    await logAction(this.dataSource.manager, entry);
  }

  async auditLog(from: Date, to: Date, limit: number): Promise<AdminAuditEntry[]> {
    const rows: Array<{
      seq: string;
      at: Date;
      actor: string;
      action: string;
      target: string;
      details: Record<string, unknown>;
    }> = await this.dataSource.query(
      `SELECT seq, at, actor, action, target, details FROM admin_audit_entry
        WHERE at >= $1 AND at < $2 ORDER BY seq LIMIT $3`,
      [from, to, limit],
    );
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
  }

  private async findWith(manager: EntityManager, keyId: string): Promise<StoredApiKey | undefined> {
    const rows: KeyRow[] = await manager.query(
      `SELECT ${KEY_COLUMNS} FROM api_key k WHERE k.key_id = $1`,
      [keyId],
    );
    return rows[0] ? keyOf(rows[0]) : undefined;
  }
}

/** Provides the {@link API_KEY_STORE} on the app's PostgreSQL data source. */
export const apiKeyStoreProvider: Provider = {
  provide: API_KEY_STORE,
  useFactory: (dataSource: DataSource) => new PostgresApiKeyStore(dataSource),
  inject: [DataSource],
};
