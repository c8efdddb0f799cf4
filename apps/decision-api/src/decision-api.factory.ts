import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@consent-ledger/config';
import { json, type NextFunction, type Request, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import { DecisionApiModule } from './decision-api.module';

/** A batch of 10,000 subject ids with room to spare. POST /v1/filter streams and has no limit. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Builds the decision API (for main.ts and the integration tests); the caller listens. */
export async function createDecisionApi(config?: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(DecisionApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  const parseJson = json({
    limit: MAX_BODY_BYTES,
    type: ['application/json', 'application/*+json'],
  });
  // The filter reads its body as a stream, record by record.
  app.use((request: Request, response: Response, next: NextFunction) =>
    request.path === '/v1/filter' ? next() : parseJson(request, response, next),
  );
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Consent Ledger decision API')
      .setDescription(
        'Enforcement: may this data be used for this purpose? Answers come from an in-memory view of consent.state.v1 and fail closed. Errors are RFC 9457 problem+json with a stable `code`.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key with decision:read' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
