import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@consent-ledger/config';
import { Logger } from 'nestjs-pino';
import { AuditorModule } from './auditor.module';

/** Builds the audit API (for main.ts and the integration tests); the caller listens. */
export async function createAuditorApi(config?: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AuditorModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Consent Ledger audit API')
      .setDescription(
        'Replay to any moment, verification, proof of consent, exports and the usage log. Read-only; scope audit:read. Errors are RFC 9457 problem+json.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key with audit:read' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
