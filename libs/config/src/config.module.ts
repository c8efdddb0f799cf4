import { Global, Module } from '@nestjs/common';
import { loadConfig, type AppConfig } from './app-config';

/** DI token for the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Loads the configuration once at boot; a bad setting stops the app before it listens. */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: (): AppConfig => loadConfig() }],
  exports: [APP_CONFIG],
})
export class ConfigModule {}
