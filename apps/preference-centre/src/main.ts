import { loadConfig } from '@consent-ledger/config';
import { createPreferenceCentre } from './preference-centre.app';

/** The preference centre: listens on 127.0.0.1 at HTTP_PORT; a failure to start is one line and exit 1. */
async function main(): Promise<void> {
  const config = loadConfig();
  const centre = await createPreferenceCentre(config);
  await centre.listen({ port: config.httpPort, host: '127.0.0.1' });
  centre.log.info(`preference centre on http://127.0.0.1:${config.httpPort}`);
  const stop = () => void centre.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `preference centre failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
