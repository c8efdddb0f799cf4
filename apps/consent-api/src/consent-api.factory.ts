import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@consent-ledger/config';
import { json } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';

/** Largest accepted body: a full batch of 1,000 events with room to spare. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Builds the API (for main.ts and the integration tests); the caller listens. */
export async function createConsentApi(config?: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.use(json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] }));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Consent Ledger API')
      .setDescription(
        'Collection of consent events, consent state and history. Errors are RFC 9457 problem+json with a stable `code`.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'API key with scopes (consent:write, consent:read, …)',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
