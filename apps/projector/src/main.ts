import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { applyRequestTimeouts } from '@consent-ledger/http';
import { Logger } from 'nestjs-pino';
import { ProjectorModule } from './projector.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(ProjectorModule.forRoot(), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  applyRequestTimeouts(app);
  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.httpPort, '127.0.0.1');
  app.get(Logger).log(`projector health on http://127.0.0.1:${config.httpPort}/health`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `projector failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
