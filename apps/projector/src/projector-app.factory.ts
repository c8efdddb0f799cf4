import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { createHttpApp } from '@consent-ledger/http';
import { ProjectorModule } from './projector.module';

/** Builds the projector (for main.ts and the integration tests); the caller listens. */
export async function createProjectorApp(config?: AppConfig): Promise<INestApplication> {
  const settings = config ?? loadConfig();
  return createHttpApp(ProjectorModule.forRoot(settings), {
    config: settings,
    // It takes no request bodies: its routes are health and metrics.
    maxBodyBytes: 64 * 1024,
    openApi: {
      title: 'Consent Ledger projector',
      description:
        'Folds consent.events.v1 into the read model and publishes consent.state.v1 and the suppression topics. Its HTTP face is operational only: /health and /metrics.',
      keys: 'API key with operations (when OPERATIONS_ENDPOINTS_REQUIRE_KEY)',
    },
  });
}
