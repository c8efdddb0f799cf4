import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryRunner } from 'typeorm';
import { CHAIN_HEADS_STORE } from './chain-heads.store';
import type {
  ChainHeadsStore,
  CheckpointRow,
  CheckpointSession,
  RecordedHead,
} from './chain-heads.store';

/** One checkpointer at a time across API instances (a PostgreSQL advisory lock). */
const CHECKPOINT_LOCK = 1_795_001_100;

class PostgresCheckpointSession implements CheckpointSession {
  constructor(private readonly runner: QueryRunner) {}

  async waitForWritesInFlight(deadlineMs: number): Promise<void> {
    const [{ xmax }] = await this.runner.query(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax',
    );
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const [{ ended }] = await this.runner.query(
        'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS ended',
        [xmax],
      );
      if (ended) return;
      if (Date.now() > deadline)
        throw new Error(
          `transactions begun before the checkpoint were still open after ${deadlineMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async heads(): Promise<RecordedHead[]> {
    const rows: Array<{ subject_id: string; last_event_hash: string }> = await this.runner.query(
      'SELECT subject_id, last_event_hash FROM consent_write_head WHERE last_event_hash IS NOT NULL',
    );
    return rows.map((row) => ({ subjectId: row.subject_id, headHash: row.last_event_hash }));
  }

  async record(checkpoint: CheckpointRow): Promise<void> {
    await this.runner.query(
      `INSERT INTO chain_checkpoint (checkpoint_id, topic, created_at, subject_count, merkle_root, key_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        checkpoint.checkpointId,
        checkpoint.topic,
        checkpoint.createdAt,
        checkpoint.subjectCount,
        checkpoint.merkleRoot,
        checkpoint.keyId,
      ],
    );
  }
}

export class PostgresChainHeadsStore implements ChainHeadsStore {
  constructor(private readonly dataSource: DataSource) {}

  async exclusively<T>(work: (session: CheckpointSession) => Promise<T>): Promise<T | undefined> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        CHECKPOINT_LOCK,
      ]);
      if (!locked) return undefined;
      try {
        return await work(new PostgresCheckpointSession(runner));
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [CHECKPOINT_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}

export const chainHeadsStoreProvider: Provider = {
  provide: CHAIN_HEADS_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new PostgresChainHeadsStore(dataSource),
};
