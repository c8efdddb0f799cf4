import 'reflect-metadata';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { Logger } from 'nestjs-pino';
import { createAuditorApi } from './auditor-api.factory';

async function bootstrap(): Promise<void> {
  const app = await createAuditorApi();
  const config = app.get<AppConfig>(APP_CONFIG);
  await app.listen(config.httpPort, '127.0.0.1');
  app.get(Logger).log(`audit API on http://127.0.0.1:${config.httpPort} (OpenAPI at /docs)`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `audit API failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
