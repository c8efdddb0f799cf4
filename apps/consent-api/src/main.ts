import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Consent Ledger API')
      .setDescription('Collection of consent events, consent state queries and decisions.')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.httpPort, '127.0.0.1');
  app
    .get(Logger)
    .log(`consent-api listening on http://127.0.0.1:${config.httpPort} (docs at /docs)`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `consent-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
