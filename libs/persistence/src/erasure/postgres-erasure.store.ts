import { EVERY_PURPOSE } from '@consent-ledger/consent-domain';
import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '../prepared-query';
import { ERASURE_STORE } from './erasure.store';
import type { ErasureConfirmation, ErasureRecord, ErasureStore } from './erasure.store';

interface ErasureRow {
  subject_id: string;
  requested_at: Date;
  requested_by: string;
  jurisdiction: string;
  event_id: string | null;
  key_destroyed_at: Date | null;
}

const recordOf = (row: ErasureRow): ErasureRecord => ({
  subjectId: row.subject_id,
  requestedAt: row.requested_at,
  requestedBy: row.requested_by,
  jurisdiction: row.jurisdiction,
  eventId: row.event_id,
  keyDestroyedAt: row.key_destroyed_at,
});

export class PostgresErasureStore implements ErasureStore {
  constructor(private readonly dataSource: DataSource) {}

  async find(subjectId: string): Promise<ErasureRecord | undefined> {
    const rows: ErasureRow[] = await this.dataSource.query(
      `SELECT subject_id, requested_at, requested_by, jurisdiction, event_id, key_destroyed_at
         FROM erasure_request WHERE subject_id = $1`,
      [subjectId],
    );
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  async keysHeld(limit: number): Promise<ErasureRecord[]> {
    const rows: ErasureRow[] = await this.dataSource.query(
      `SELECT subject_id, requested_at, requested_by, jurisdiction, event_id, key_destroyed_at
         FROM erasure_request WHERE event_id IS NOT NULL AND key_destroyed_at IS NULL
        ORDER BY requested_at LIMIT $1`,
      [limit],
    );
    return rows.map(recordOf);
  }

  async open(request: {
    readonly subjectId: string;
    readonly requestedBy: string;
    readonly jurisdiction: string;
  }): Promise<ErasureRecord> {
    await this.dataSource.query(
      `INSERT INTO erasure_request (subject_id, requested_by, jurisdiction) VALUES ($1, $2, $3)
       ON CONFLICT (subject_id) DO NOTHING`,
      [request.subjectId, request.requestedBy, request.jurisdiction],
    );
    return (await this.find(request.subjectId))!;
  }

  async eventRecorded(subjectId: string, eventId: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE erasure_request SET event_id = $2 WHERE subject_id = $1 AND event_id IS NULL',
      [subjectId, eventId],
    );
  }

  async keyDestroyed(subjectId: string): Promise<boolean> {
    const marked = await queryPrepared(
      this.dataSource.manager,
      `UPDATE erasure_request SET key_destroyed_at = now()
        WHERE subject_id = $1 AND key_destroyed_at IS NULL RETURNING subject_id`,
      [subjectId],
    );
    return marked.length === 1;
  }

  async projected(subjectId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM consent_choice WHERE subject_id = $1 AND purpose = $2 AND action = 'ERASE'`,
      [subjectId, EVERY_PURPOSE],
    );
    return rows.length > 0;
  }

  async confirmations(subjectId: string): Promise<ErasureConfirmation[]> {
    const rows: Array<{ sink: string; delivered_at: Date }> = await this.dataSource.query(
      `SELECT sink, delivered_at FROM sink_position
        WHERE subject_id = $1 AND purpose = $2 ORDER BY sink`,
      [subjectId, EVERY_PURPOSE],
    );
    return rows.map((row) => ({ system: row.sink, confirmedAt: row.delivered_at }));
  }
}

/** Provides the {@link ERASURE_STORE} on the app's PostgreSQL data source. */
export const erasureStoreProvider: Provider = {
  provide: ERASURE_STORE,
  useFactory: (dataSource: DataSource) => new PostgresErasureStore(dataSource),
  inject: [DataSource],
};
