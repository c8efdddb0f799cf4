import { DataSource, MigrationExecutor } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '@consent-ledger/config';
import { entities } from './entities';
import { migrations } from './migrations';

/**
 * TypeORM options for PostgreSQL. The schema is owned by migrations: `synchronize` is never on,
 * and migrations run explicitly (`npm run db:migrate`, or each app at boot) in one transaction.
 */
export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    ssl: settings.ssl ? { rejectUnauthorized: true } : false,
    entities,
    migrations,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'all',
    synchronize: false,
    migrationsRun: false,
    extra: { max: settings.poolSize, application_name: 'consent-ledger' },
  };
}

/** A data source for the configured database (not yet initialised). */
export function createDataSource(settings: DatabaseSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}

/** The advisory lock every process takes to apply migrations (an arbitrary, fixed 64-bit key). */
const MIGRATION_LOCK = '7315002218833370101';

/**
 * Initialises the data source and applies pending migrations; returns their names. Apps that start
 * together would race to create the same tables (the loser's CREATE fails): each applies them on
 * one connection holding a PostgreSQL advisory lock, so the others wait and then find nothing
 * pending. Every app goes through here (the Nest apps' database module too).
 */
export async function migrateDatabase(dataSource: DataSource): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'all';
    return (await executor.executePendingMigrations()).map((migration) => migration.name);
  } finally {
    // Ending the session releases the lock too, should the unlock itself fail.
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
