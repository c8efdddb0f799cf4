import { loadConfig } from '@consent-ledger/config';
import { createTemporaryDatabase, uniqueName, waitFor } from '@consent-ledger/testing';
import type { TemporaryDatabase } from '@consent-ledger/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, migrateDatabase } from '../data-source.factory';
import { PostgresErasureStore } from '../erasure/postgres-erasure.store';
import { PostgresIdentityVaultStore } from './postgres-identity-vault.store';

describe('the identity vault store on PostgreSQL, under erasure', () => {
  const config = loadConfig();
  let database: TemporaryDatabase;
  let first: DataSource;
  let second: DataSource;

  beforeAll(async () => {
    database = await createTemporaryDatabase(config.database.url);
    first = createDataSource({ ...config.database, url: database.url });
    second = createDataSource({ ...config.database, url: database.url });
    await migrateDatabase(first);
    await second.initialize();
  });

  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
    await database?.drop();
  });

  const key = { kekId: 'kek-1', wrappedKey: Buffer.from('wrapped') };
  const email = (n: number) => ({
    kind: 'EMAIL',
    blindIndex: Buffer.from(`blind-index-${n}`),
    sealedValue: Buffer.from(`sealed-${n}`),
  });

  it('takes no identifier once the erasure is opened, and keeps shredded ones as suppression entries', async () => {
    // Given a subject with an identifier in the vault
    const subjectId = uniqueName('vault-store');
    const vault = new PostgresIdentityVaultStore(first);
    await vault.dataKey(subjectId, async () => key);
    expect(await vault.replaceIdentifiers(subjectId, ['EMAIL'], [email(1)])).toBe(true);

    // When its erasure is opened, then shredded
    await new PostgresErasureStore(first).open({
      subjectId,
      requestedBy: 'admin',
      jurisdiction: 'DE',
    });
    const refused = await vault.replaceIdentifiers(subjectId, ['EMAIL'], [email(2)]);
    expect(await vault.shred(subjectId)).toBe(1);

    // Then the write after the opening was refused, nothing of the subject is left, and the
    // shredded identifier's blind index is a suppression entry
    expect(refused).toBe(false);
    expect(await vault.identifiersOf(subjectId)).toEqual([]);
    expect(await vault.existingDataKey(subjectId)).toBeUndefined();
    expect(
      (await vault.erasedAmong([email(1), email(2)])).map((entry) => entry.blindIndex.toString()),
    ).toEqual(['blind-index-1']);
  });

  it('shreds what an identifier write in flight commits: the shred waits for the key it holds', async () => {
    // Given a subject whose identifiers are being written (the write holds the data key's row)
    const subjectId = uniqueName('vault-store');
    const writer = new PostgresIdentityVaultStore(first);
    const shredder = new PostgresIdentityVaultStore(second);
    await writer.dataKey(subjectId, async () => key);
    let releaseWrite!: () => void;
    const writeMayCommit = new Promise<void>((resolve) => (releaseWrite = resolve));
    let writeHoldsKey!: () => void;
    const keyHeld = new Promise<void>((resolve) => (writeHoldsKey = resolve));
    const write = first.transaction(async (manager) => {
      await manager.query('SELECT 1 FROM subject_data_key WHERE subject_id = $1 FOR UPDATE', [
        subjectId,
      ]);
      await manager.query(
        `INSERT INTO subject_identifier (subject_id, kind, blind_index, sealed_value)
         VALUES ($1, 'EMAIL', $2, $3)`,
        [subjectId, email(3).blindIndex, email(3).sealedValue],
      );
      writeHoldsKey();
      await writeMayCommit;
    });
    await keyHeld;

    // When the subject is shredded meanwhile (it waits on a lock), and the write then commits
    const shred = shredder.shred(subjectId);
    await waitFor(
      async () => {
        const [{ waiting }] = await first.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return waiting > 0;
      },
      { timeoutMs: 10_000, intervalMs: 10, description: 'the shred waiting on a lock' },
    );
    releaseWrite();
    await write;

    // Then the shred took what the write committed: nothing is left, its index is suppressed
    expect(await shred).toBe(1);
    expect(await writer.identifiersOf(subjectId)).toEqual([]);
    expect((await writer.erasedAmong([email(3)])).length).toBe(1);
  });
});
