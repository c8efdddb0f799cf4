import { loadConfig } from '@consent-ledger/config';
import { createComplianceDashboard } from './compliance-dashboard.app';
import { connectSources } from './dashboard-sources.factory';

/** The compliance dashboard: listens on 127.0.0.1 at HTTP_PORT; a failure to start is one line and exit 1. */
async function main(): Promise<void> {
  const config = loadConfig();
  let log: (message: string, details?: Record<string, unknown>) => void = () => undefined;
  const { sources, close } = await connectSources(config, (message, details) =>
    log(message, details),
  );
  const dashboard = createComplianceDashboard(config, sources);
  log = (message, details) => dashboard.log.warn({ ...details, msg: message });
  await dashboard.listen({ port: config.httpPort, host: '127.0.0.1' });
  dashboard.log.info(`compliance dashboard on http://127.0.0.1:${config.httpPort}`);
  const stop = () =>
    void dashboard
      .close()
      .then(close)
      .then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `compliance dashboard failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
