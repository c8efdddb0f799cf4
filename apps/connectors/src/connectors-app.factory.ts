import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { createHttpApp } from '@consent-ledger/http';
import { ConnectorsModule } from './connectors.module';

/** A training manifest request lists up to 100,000 subject ids. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Builds the connectors (for main.ts and the integration tests); the caller listens. */
export async function createConnectorsApp(config?: AppConfig): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  return createHttpApp(ConnectorsModule.forRoot(settings), {
    config: settings,
    maxBodyBytes: MAX_BODY_BYTES,
    openApi: {
      title: 'Consent Ledger connectors',
      description:
        'Suppression delivery to the downstream systems, and consent-filtered training manifests for ML pipelines. Errors are RFC 9457 problem+json with a stable `code`.',
      keys: 'API key with decision:read (manifests) or audit:read (affected models)',
    },
  });
}
