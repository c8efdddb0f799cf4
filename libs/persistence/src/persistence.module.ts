import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { dataSourceOptions, migrateDatabase } from './data-source.factory';

/**
 * The PostgreSQL connection; pending migrations are applied at boot (under the migration lock, like
 * every other process), never `synchronize`. A failed attempt is retried by the module.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => dataSourceOptions(config.database),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = new DataSource(options!);
        try {
          await migrateDatabase(dataSource);
          return dataSource;
        } catch (error) {
          if (dataSource.isInitialized) await dataSource.destroy();
          throw error;
        }
      },
    }),
  ],
})
export class PersistenceModule {}
