import { DataSource } from 'typeorm';
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

/** Initialises the data source and applies pending migrations; returns their names. */
export async function migrateDatabase(dataSource: DataSource): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'all' });
  return applied.map((migration) => migration.name);
}
