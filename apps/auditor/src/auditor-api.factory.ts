import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@consent-ledger/config';
import { applyRequestTimeouts, serveOpenApi } from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { AuditorModule } from './auditor.module';

/** Builds the audit API (for main.ts and the integration tests); the caller listens. */
export async function createAuditorApi(config?: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AuditorModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  applyRequestTimeouts(app);
  serveOpenApi(app, {
    title: 'Consent Ledger audit API',
    description:
      'Replay to any moment, verification, proof of consent, exports and the usage log. Read-only; scope audit:read. Errors are RFC 9457 problem+json.',
    keys: 'API key with audit:read',
  });
  return app;
}
