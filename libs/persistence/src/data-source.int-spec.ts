import { loadConfig } from '@consent-ledger/config';
import { createTemporaryDatabase } from '@consent-ledger/testing';
import type { TemporaryDatabase } from '@consent-ledger/testing';
import type { DataSource } from 'typeorm';
import { EXPECTED_ROWS_MISSED } from './combined-writes';
import { createDataSource, migrateDatabase } from './data-source.factory';
import { ProjectionCheckpointEntity } from './entities';

describe('PostgreSQL data source and migrations', () => {
  const config = loadConfig();
  let database: TemporaryDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTemporaryDatabase(config.database.url);
    dataSource = createDataSource({ ...config.database, url: database.url });
  });

  afterAll(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  });

  it('applies the migrations once, then finds nothing pending', async () => {
    expect(await migrateDatabase(dataSource)).toEqual([
      'ProjectionCheckpoints1795000000000',
      'ConsentReadModel1795000100000',
      'ConsentOutbox1795000200000',
      'SinkPosition1795000300000',
      'MlTraining1795000400000',
      'Audit1795000500000',
      'SinkCallIntent1795000600000',
      'ExpectedRows1795000700000',
      'SinkCallSpans1795000800000',
      'UsageJurisdiction1795000900000',
      'EventRecordedBy1795001000000',
      'ChainHeads1795001100000',
      'UnacknowledgedEvents1795001200000',
      'IdentityVault1795001300000',
      'Erasure1795001400000',
      'ManagedApiKeys1795001500000',
      'ErasureKeyHold1795001600000',
      'OneTimeCodes1795001700000',
      'ConsentStandings1795001800000',
      'GrantExpiryIndex1795001900000',
      'ExclusionAllowedUntil1795002000000',
      'Lifecycle1795002100000',
      'TeamNotifications1795002200000',
      'ErasedHeadsIndex1795002300000',
    ]);
    expect(await migrateDatabase(dataSource)).toEqual([]);
    const tables = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((row: { table_name: string }) => row.table_name)).toEqual([
      'admin_audit_entry',
      'api_key',
      'api_key_secret',
      'chain_checkpoint',
      'consent_choice',
      'consent_daily_tally',
      'consent_event',
      'consent_notice',
      'consent_outbox',
      'consent_standing',
      'consent_standing_basis',
      'consent_standing_count',
      'consent_subject',
      'consent_usage',
      'consent_write_head',
      'erased_identifier',
      'erasure_request',
      'idempotency_record',
      'lifecycle_message',
      'ml_training_exclusion',
      'one_time_code',
      'projection_checkpoint',
      'reconsent_campaign',
      'reconsent_subject',
      'schema_migration',
      'sink_call_intent',
      'sink_delivery',
      'sink_position',
      'subject_data_key',
      'subject_identifier',
      'team_notification',
      'training_manifest',
      'training_manifest_subject',
      'unacknowledged_event',
      'verify_run',
    ]);
  });

  it('has the row-count guard that combined writes use, failing with its own SQLSTATE', async () => {
    await expect(
      dataSource.query(`SELECT consent_ledger_expect_rows(2, 2, 'checkpoints')`),
    ).resolves.toEqual([{ consent_ledger_expect_rows: '2' }]);
    await expect(
      dataSource.query(`SELECT consent_ledger_expect_rows(1, 2, 'checkpoints')`),
    ).rejects.toMatchObject({
      code: EXPECTED_ROWS_MISSED,
      message: 'checkpoints: expected 2 rows, found 1; nothing was written',
    });
  });

  it('writes a row and reads it back, keeping a 64-bit offset exact', async () => {
    const repository = dataSource.getRepository(ProjectionCheckpointEntity);
    await repository.save({
      projection: 'test',
      topic: 't',
      partition: 0,
      nextOffset: '9007199254740993',
    });
    const row = await repository.findOneByOrFail({ projection: 'test', topic: 't', partition: 0 });
    expect(row.nextOffset).toBe('9007199254740993');
    expect(row.updatedAt).toBeInstanceOf(Date);
  });

  it('enforces the schema in the database, not only in code', async () => {
    await expect(
      dataSource.query(
        `INSERT INTO projection_checkpoint (projection, topic, partition, next_offset) VALUES ('x', 't', 0, -1)`,
      ),
    ).rejects.toThrow(/check constraint/);
  });
});
