import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { loadConfig } from './app-config';
import type { AppConfig } from './app-config';
import { loadConsentPolicy } from './consent-policy.loader';
import type { LoadedConsentPolicy } from './consent-policy.loader';

/** DI token for the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** DI token for the {@link LoadedConsentPolicy}: the purpose taxonomy and the policy. */
export const CONSENT_POLICY = Symbol('CONSENT_POLICY');

/**
 * Provides the configuration, loaded once at boot (a bad setting stops the app before it
 * listens), or the one given (tests).
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useFactory: (): AppConfig => config ?? loadConfig() },
        {
          provide: CONSENT_POLICY,
          inject: [APP_CONFIG],
          useFactory: (loaded: AppConfig): LoadedConsentPolicy =>
            loadConsentPolicy(loaded.consentPolicy),
        },
      ],
      exports: [APP_CONFIG, CONSENT_POLICY],
    };
  }
}
