import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '../prepared-query';
import { IDENTITY_VAULT_STORE } from './identity-vault.store';
import type {
  IdentityVaultStore,
  SealedIdentifierOf,
  StoredDataKey,
  StoredIdentifier,
} from './identity-vault.store';

interface IdentifierRow {
  kind: string;
  blind_index: Buffer;
  sealed_value: Buffer;
}

export class PostgresIdentityVaultStore implements IdentityVaultStore {
  constructor(private readonly dataSource: DataSource) {}

  async dataKey(subjectId: string, proposed: () => Promise<StoredDataKey>): Promise<StoredDataKey> {
    const existing = await this.existingDataKey(subjectId);
    if (existing) return existing;
    const key = await proposed();
    await this.dataSource.query(
      `INSERT INTO subject_data_key (subject_id, kek_id, wrapped_key) VALUES ($1, $2, $3)
       ON CONFLICT (subject_id) DO NOTHING`,
      [subjectId, key.kekId, key.wrappedKey],
    );
    // Another writer may have created it first: theirs is the subject's key.
    return (await this.existingDataKey(subjectId))!;
  }

  async existingDataKey(subjectId: string): Promise<StoredDataKey | undefined> {
    const rows: Array<{ kek_id: string; wrapped_key: Buffer }> = await this.dataSource.query(
      'SELECT kek_id, wrapped_key FROM subject_data_key WHERE subject_id = $1',
      [subjectId],
    );
    const row = rows[0];
    return row ? { kekId: row.kek_id, wrappedKey: row.wrapped_key } : undefined;
  }

  async shred(subjectId: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // Waits for an identifier write in flight (it holds this row), so that what it wrote is
      // shredded too; the statements below each see what was committed before them.
      await manager.query('SELECT 1 FROM subject_data_key WHERE subject_id = $1 FOR UPDATE', [
        subjectId,
      ]);
      // Most were suppression entries already (since the erasure was recorded); any put since, too.
      await manager.query(
        `INSERT INTO erased_identifier (kind, blind_index)
         SELECT kind, blind_index FROM subject_identifier WHERE subject_id = $1
         ON CONFLICT DO NOTHING`,
        [subjectId],
      );
      const held = await queryPrepared(
        manager,
        'DELETE FROM subject_identifier WHERE subject_id = $1 RETURNING kind',
        [subjectId],
      );
      await manager.query('DELETE FROM subject_data_key WHERE subject_id = $1', [subjectId]);
      return held.length;
    });
  }

  async erasedAmong(
    identifiers: ReadonlyArray<{ readonly kind: string; readonly blindIndex: Buffer }>,
  ): Promise<Array<{ kind: string; blindIndex: Buffer }>> {
    if (identifiers.length === 0) return [];
    const rows: Array<{ kind: string; blind_index: Buffer }> = await this.dataSource.query(
      `SELECT e.kind, e.blind_index FROM erased_identifier e
         JOIN unnest($1::text[], $2::bytea[]) AS k(kind, blind_index)
           ON e.kind = k.kind AND e.blind_index = k.blind_index`,
      [identifiers.map(({ kind }) => kind), identifiers.map(({ blindIndex }) => blindIndex)],
    );
    return rows.map((row) => ({ kind: row.kind, blindIndex: row.blind_index }));
  }

  async replaceIdentifiers(
    subjectId: string,
    kinds: readonly string[],
    identifiers: readonly StoredIdentifier[],
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // The key's row lock orders this against a shred (which deletes the row); the erasure
      // request is opened before the shred, so it is seen here if the shred could have run.
      const open: Array<{ erased: boolean }> = await manager.query(
        `SELECT EXISTS (SELECT 1 FROM erasure_request WHERE subject_id = $1) AS erased
           FROM subject_data_key WHERE subject_id = $1 FOR UPDATE`,
        [subjectId],
      );
      if (open.length === 0 || open[0]!.erased) return false;
      await manager.query(
        'DELETE FROM subject_identifier WHERE subject_id = $1 AND kind = ANY($2::text[])',
        [subjectId, kinds],
      );
      if (identifiers.length === 0) return true;
      await manager.query(
        `INSERT INTO subject_identifier (subject_id, kind, blind_index, sealed_value)
         SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::bytea[])
         ON CONFLICT DO NOTHING`,
        [
          subjectId,
          identifiers.map((identifier) => identifier.kind),
          identifiers.map((identifier) => identifier.blindIndex),
          identifiers.map((identifier) => identifier.sealedValue),
        ],
      );
      return true;
    });
  }

  async identifiersOf(subjectId: string): Promise<StoredIdentifier[]> {
    const rows: IdentifierRow[] = await this.dataSource.query(
      `SELECT kind, blind_index, sealed_value FROM subject_identifier
        WHERE subject_id = $1 ORDER BY kind, added_at`,
      [subjectId],
    );
    return rows.map((row) => ({
      kind: row.kind,
      blindIndex: row.blind_index,
      sealedValue: row.sealed_value,
    }));
  }

  async sealedIdentifiersOf(
    subjectIds: readonly string[],
    kind: string,
  ): Promise<SealedIdentifierOf[]> {
    if (subjectIds.length === 0) return [];
    const rows: Array<{
      subject_id: string;
      kek_id: string;
      wrapped_key: Buffer;
      sealed_value: Buffer;
    }> = await this.dataSource.query(
      `SELECT DISTINCT ON (i.subject_id) i.subject_id, k.kek_id, k.wrapped_key, i.sealed_value
         FROM subject_identifier i JOIN subject_data_key k ON k.subject_id = i.subject_id
        WHERE i.subject_id = ANY($1::text[]) AND i.kind = $2
        ORDER BY i.subject_id, i.added_at`,
      [subjectIds, kind],
    );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      kind,
      kekId: row.kek_id,
      wrappedKey: row.wrapped_key,
      sealedValue: row.sealed_value,
    }));
  }

  async suppressIdentifiers(subjectId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO erased_identifier (kind, blind_index)
       SELECT DISTINCT kind, blind_index FROM subject_identifier WHERE subject_id = $1
       ON CONFLICT DO NOTHING`,
      [subjectId],
    );
  }

  async subjectsByBlindIndex(kind: string, blindIndex: Buffer): Promise<string[]> {
    const rows: Array<{ subject_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT subject_id FROM subject_identifier WHERE kind = $1 AND blind_index = $2
        ORDER BY subject_id`,
      [kind, blindIndex],
    );
    return rows.map((row) => row.subject_id);
  }

  async keysNotWrappedBy(
    kekId: string,
    limit: number,
  ): Promise<Array<StoredDataKey & { readonly subjectId: string }>> {
    const rows: Array<{ subject_id: string; kek_id: string; wrapped_key: Buffer }> =
      await this.dataSource.query(
        `SELECT subject_id, kek_id, wrapped_key FROM subject_data_key
          WHERE kek_id <> $1 ORDER BY subject_id LIMIT $2`,
        [kekId, limit],
      );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      kekId: row.kek_id,
      wrappedKey: row.wrapped_key,
    }));
  }

  async rewrap(
    keys: ReadonlyArray<{ subjectId: string; from: StoredDataKey; to: StoredDataKey }>,
  ): Promise<number> {
    if (keys.length === 0) return 0;
    // node-postgres's rows: TypeORM's query answers an UPDATE with [rows, count] instead.
    const changed = await queryPrepared(
      this.dataSource.manager,
      `UPDATE subject_data_key AS k SET kek_id = r.to_kek, wrapped_key = r.to_key
         FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bytea[])
              AS r(subject_id, from_kek, from_key, to_kek, to_key)
        WHERE k.subject_id = r.subject_id AND k.kek_id = r.from_kek AND k.wrapped_key = r.from_key
        RETURNING k.subject_id`,
      [
        keys.map((key) => key.subjectId),
        keys.map((key) => key.from.kekId),
        keys.map((key) => key.from.wrappedKey),
        keys.map((key) => key.to.kekId),
        keys.map((key) => key.to.wrappedKey),
      ],
    );
    return changed.length;
  }
}

export const identityVaultStoreProvider: Provider = {
  provide: IDENTITY_VAULT_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new PostgresIdentityVaultStore(dataSource),
};
