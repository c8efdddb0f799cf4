import { loadConfig } from '@consent-ledger/config';
import { createDataSource, migrateDatabase } from './data-source.factory';

/** `npm run db:migrate`: applies pending migrations to DATABASE_URL. */
async function main(): Promise<void> {
  const dataSource = createDataSource(loadConfig().database);
  try {
    const applied = await migrateDatabase(dataSource);
    process.stdout.write(
      applied.length ? `applied: ${applied.join(', ')}\n` : 'database schema is up to date\n',
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `db:migrate failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
