import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { createHttpApp } from '@consent-ledger/http';
import { AuditorModule } from '../auditor.module';

/** Builds the audit API (for main.ts and the integration tests); the caller listens. */
export async function createAuditorApi(config?: AppConfig): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  return createHttpApp(AuditorModule.forRoot(settings), {
    config: settings,
    // Read-only: its routes take no body.
    maxBodyBytes: 64 * 1024,
    openApi: {
      title: 'Consent Ledger audit API',
      description:
        'Replay to any moment, verification, proof of consent, exports and the usage log. Read-only; scope audit:read. Errors are RFC 9457 problem+json.',
      keys: 'API key with audit:read',
    },
  });
}
