import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '../prepared-query';
import { ONE_TIME_CODE_STORE } from './one-time-code.store';
import type { NewOneTimeCode, OneTimeCodeStore, TriedOneTimeCode } from './one-time-code.store';

export class PostgresOneTimeCodeStore implements OneTimeCodeStore {
  constructor(private readonly dataSource: DataSource) {}

  async issue(code: NewOneTimeCode, limit: number, since: Date): Promise<boolean> {
    // Two requests at once may both count below the limit: a lock per subject orders them.
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `one-time-code:${code.subjectId}`,
      ]);
      const kept = await queryPrepared(
        manager,
        `INSERT INTO one_time_code (code_id, subject_id, code_hash, expires_at)
         SELECT $1, $2, $3, $4
          WHERE (SELECT count(*) FROM one_time_code
                  WHERE subject_id = $2 AND created_at >= $5) < $6
         RETURNING code_id`,
        [code.codeId, code.subjectId, code.codeHash, code.expiresAt, since, limit],
      );
      return kept.length === 1;
    });
  }

  async attempt(codeId: string, maxAttempts: number): Promise<TriedOneTimeCode | undefined> {
    const rows = await queryPrepared<{ subject_id: string; code_hash: Buffer }>(
      this.dataSource.manager,
      `UPDATE one_time_code SET attempts = attempts + 1
        WHERE code_id = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
        RETURNING subject_id, code_hash`,
      [codeId, maxAttempts],
    );
    const row = rows[0];
    return row && { subjectId: row.subject_id, codeHash: row.code_hash };
  }

  async useUp(codeId: string): Promise<boolean> {
    const rows = await queryPrepared(
      this.dataSource.manager,
      'UPDATE one_time_code SET used_at = now() WHERE code_id = $1 AND used_at IS NULL RETURNING code_id',
      [codeId],
    );
    return rows.length === 1;
  }
}

export const oneTimeCodeStoreProvider: Provider = {
  provide: ONE_TIME_CODE_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new PostgresOneTimeCodeStore(dataSource),
};
