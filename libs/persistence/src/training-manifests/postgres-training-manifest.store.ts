import type { Provider } from '@nestjs/common';
import type { SubjectConsentState } from '@consent-ledger/consent-domain';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { ConsentReadModelRepository } from '../consent-read-model.repository';
import { TRAINING_MANIFEST_STORE } from './training-manifest.store';
import type {
  AffectedManifest,
  ManifestTransaction,
  StoredManifest,
  TrainingManifestStore,
} from './training-manifest.store';

class PostgresManifestTransaction implements ManifestTransaction {
  private readonly readModel = new ConsentReadModelRepository();

  constructor(private readonly manager: EntityManager) {}

  async exclusions(
    purpose: string,
    subjectIds: readonly string[],
    at: Date,
  ): Promise<Map<string, boolean>> {
    const rows: Array<{ subject_id: string; allowed: boolean }> = await this.manager.query(
      `SELECT subject_id, allowed AND (allowed_until IS NULL OR allowed_until > $3) AS allowed
         FROM ml_training_exclusion WHERE purpose = $1 AND subject_id = ANY($2)`,
      [purpose, subjectIds, at],
    );
    return new Map(rows.map((row) => [row.subject_id, row.allowed]));
  }

  states(subjectIds: readonly string[]): Promise<Map<string, SubjectConsentState>> {
    return this.readModel.loadStates(this.manager, subjectIds);
  }

  async logPosition(): Promise<Record<string, string>> {
    const rows: Array<{ partition: number; next_offset: string }> = await this.manager.query(
      `SELECT partition, next_offset FROM projection_checkpoint WHERE projection = 'consent-read-model' ORDER BY partition`,
    );
    return Object.fromEntries(rows.map((row) => [String(row.partition), String(row.next_offset)]));
  }

  async record(manifest: StoredManifest): Promise<void> {
    await this.manager.query(
      `INSERT INTO training_manifest (manifest_id, job_id, dataset_id, purpose, requested, allowed, log_position, policy_version, issued_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        manifest.manifestId,
        manifest.jobId,
        manifest.datasetId,
        manifest.purpose,
        manifest.requested,
        manifest.allowed.length,
        JSON.stringify(manifest.logPosition),
        manifest.policyVersion,
        manifest.issuedBy,
      ],
    );
    await this.manager.query(
      `INSERT INTO training_manifest_subject (manifest_id, subject_id) SELECT $1, unnest($2::text[])`,
      [manifest.manifestId, manifest.allowed],
    );
  }
}

export class PostgresTrainingManifestStore implements TrainingManifestStore {
  constructor(private readonly dataSource: DataSource) {}

  inSnapshot<T>(work: (transaction: ManifestTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('REPEATABLE READ', (manager) =>
      work(new PostgresManifestTransaction(manager)),
    );
  }

  async affected(): Promise<AffectedManifest[]> {
    const rows: Array<{
      manifest_id: string;
      job_id: string;
      dataset_id: string;
      purpose: string;
      created_at: Date;
      withdrawn: number;
    }> = await this.dataSource.query(
      `SELECT m.manifest_id, m.job_id, m.dataset_id, m.purpose, m.created_at, count(DISTINCT s.subject_id)::int AS withdrawn
         FROM training_manifest m
         JOIN training_manifest_subject s ON s.manifest_id = m.manifest_id
         JOIN consent_event e ON e.subject_id = s.subject_id AND e.action IN ('WITHDRAW', 'EXPIRE', 'ERASE')
          AND e.recorded_at > m.created_at
          AND (e.purpose = m.purpose OR m.purpose LIKE e.purpose || '.%' OR e.purpose = '*')
        GROUP BY m.manifest_id ORDER BY m.created_at`,
    );
    return rows.map((row) => ({
      manifestId: row.manifest_id,
      jobId: row.job_id,
      datasetId: row.dataset_id,
      purpose: row.purpose,
      issuedAt: row.created_at.toISOString(),
      withdrawnSubjects: row.withdrawn,
    }));
  }
}

export const trainingManifestStoreProvider: Provider = {
  provide: TRAINING_MANIFEST_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new PostgresTrainingManifestStore(dataSource),
};
