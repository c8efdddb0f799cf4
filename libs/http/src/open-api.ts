import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { appAuthenticator } from './api-key.guard';
import { toProblem } from './problem-details.filter';

/** What an app's OpenAPI document says of itself; `keys`: the scopes its API keys need. */
export interface OpenApiText {
  readonly title: string;
  readonly description: string;
  readonly keys: string;
}

/**
 * Serves an app's OpenAPI document at /docs (and the JSON at /docs/openapi.json), version 1,
 * with bearer API keys; `keys` says which scopes the keys need.
 */
export function serveOpenApi(app: INestApplication, api: OpenApiText): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(api.title)
      .setDescription(api.description)
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: api.keys })
      .build(),
  );
  const config = app.get<AppConfig>(APP_CONFIG);
  if (config.operationsEndpointsRequireKey) {
    const authenticator = appAuthenticator(app, config);
    app.use('/docs', (request: IncomingMessage, response: ServerResponse, next: () => void) => {
      try {
        authenticator.authenticate(request.headers, ['operations']);
        next();
      } catch (error) {
        const problem = toProblem(error);
        response.writeHead(problem.status, { 'content-type': 'application/problem+json' });
        response.end(JSON.stringify({ ...problem, instance: request.url }));
      }
    });
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
