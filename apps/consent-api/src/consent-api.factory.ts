import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { createHttpApp } from '@consent-ledger/http';
import { AppModule } from './app.module';

/** Largest accepted body: a full batch of 1,000 events with room to spare. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Builds the API (for main.ts and the integration tests); the caller listens. Every collection
 * channel's event passes through it (see docs/benchmarks.md for what Fastify saves per request).
 */
export async function createConsentApi(config?: AppConfig): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  return createHttpApp(AppModule.forRoot(settings), {
    config: settings,
    maxBodyBytes: MAX_BODY_BYTES,
    openApi: {
      title: 'Consent Ledger API',
      description:
        'Collection of consent events, consent state and history. Errors are RFC 9457 problem+json with a stable `code`.',
      keys: 'API key with scopes (consent:write, consent:read, …)',
    },
  });
}
