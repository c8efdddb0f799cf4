import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { json } from 'express';
import { applyRequestTimeouts } from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { ConnectorsModule } from './connectors.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(ConnectorsModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // A manifest request lists up to 100,000 subject ids.
  app.use(json({ limit: '8mb' }));
  app.enableShutdownHooks();
  applyRequestTimeouts(app);
  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.httpPort, '127.0.0.1');
  app.get(Logger).log(`connectors health on http://127.0.0.1:${config.httpPort}/health`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `connectors failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
