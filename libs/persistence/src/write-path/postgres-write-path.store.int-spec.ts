import { loadConfig } from '@consent-ledger/config';
import { createTemporaryDatabase, uniqueName, waitFor } from '@consent-ledger/testing';
import type { TemporaryDatabase } from '@consent-ledger/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { createDataSource, migrateDatabase } from '../data-source.factory';
import { PostgresWritePathStore } from './postgres-write-path.store';

describe('the write path store on PostgreSQL', () => {
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

  it.each(['a new subject', 'a subject with a head already'])(
    'tells a writer that waited for the head of %s about the event the other writer just committed and has not sent',
    async (which) => {
      // Given two API instances (two stores on their own connections) writing the same subject
      const subjectId = uniqueName('raced');
      const eventId = uuidv7();
      const storeA = new PostgresWritePathStore(first);
      const storeB = new PostgresWritePathStore(second);
      if (which === 'a subject with a head already')
        await storeA.transaction((transaction) => transaction.lockChainHeads([subjectId]));

      // When A locks the head and records an event, B asks for the head meanwhile, and A commits
      let releaseA!: () => void;
      const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
      let aLocked = false;
      const writerA = storeA.transaction(async (transaction) => {
        await transaction.lockChainHeads([subjectId]);
        await transaction.recordWritten(
          [
            {
              subjectId,
              eventId,
              idempotencyKey: 'key-a',
              fingerprint: 'f'.repeat(64),
              value: Buffer.from('the bytes of event a'),
            },
          ],
          new Map([[subjectId, { eventId, hash: 'a'.repeat(64), erased: false }]]),
        );
        aLocked = true;
        await aMayCommit;
      });
      await waitFor(() => aLocked, { description: 'A holding the head' });
      const writerB = storeB.transaction((transaction) => transaction.lockChainHeads([subjectId]));
      // B's statement has begun, and waits for A's lock.
      await waitFor(
        async () => {
          const rows: Array<{ waiting: number }> = await first.query(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows[0]!.waiting > 0;
        },
        { description: 'B waiting for the head A holds' },
      );
      releaseA();
      await writerA;
      const seenByB = await writerB;

      // Then B chains to A's event and knows it must send A's event first
      expect(seenByB.heads.get(subjectId)).toBe('a'.repeat(64));
      expect(seenByB.unacknowledgedIn).toEqual([subjectId]);
    },
  );
});
