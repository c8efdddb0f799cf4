import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * Serves an app's OpenAPI document at /docs (and the JSON at /docs/openapi.json), version 1,
 * with bearer API keys; `keys` says which scopes the keys need.
 */
export function serveOpenApi(
  app: INestApplication,
  api: { readonly title: string; readonly description: string; readonly keys: string },
): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(api.title)
      .setDescription(api.description)
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: api.keys })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
