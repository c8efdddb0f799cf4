import { createServer } from 'node:net';
import { startAppProcess } from './app-process';
import type { AppProcess } from './app-process';
import type { TestEnvironment } from './test-environment';
import { waitFor } from './wait-for';

/** The apps a whole-pipeline test can run, each as its own process (as in production). */
export const pipelineApps = {
  'consent-api': 'apps/consent-api/src/main.ts',
  projector: 'apps/projector/src/main.ts',
  connectors: 'apps/connectors/src/main.ts',
  'decision-api': 'apps/decision-api/src/main.ts',
  auditor: 'apps/auditor/src/main.ts',
  'preference-centre': 'apps/preference-centre/src/main.ts',
  'compliance-dashboard': 'apps/compliance-dashboard/src/main.ts',
  /** The local stack's OpenID provider (deploy/demo), which the dashboard signs people in with. */
  'identity-provider': 'deploy/demo/dev-identity-provider.ts',
} as const;
export type PipelineApp = keyof typeof pipelineApps;

export interface PipelineOptions {
  readonly environment: TestEnvironment;
  /** Which apps to start, in this order. */
  readonly apps: readonly PipelineApp[];
  /** Settings on top of the environment's, for every app (a vendor's URL, a shorter interval). */
  readonly overrides?: Readonly<Record<string, string>>;
  /** How long each app may take to answer /health; default 90 s (2 cores, TypeScript). */
  readonly startTimeoutMs?: number;
}

/** The apps of a pipeline, running: where each answers, and how to stop or restart one. */
export interface Pipeline {
  /** The app's base URL (`http://127.0.0.1:<port>`). */
  url(app: PipelineApp): string;
  /** The app's process: its output for diagnostics, or to SIGKILL it. */
  process(app: PipelineApp): AppProcess;
  /** Starts the app again (after a kill) on the same port, and waits until it answers. */
  restart(app: PipelineApp): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on now, for an app to take. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts the given apps as processes on the test's topics and database, each on a port of its
 * own, and resolves once every one answers /health (ok or degraded). The one way whole-pipeline
 * tests run the apps other than the one they test.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const ports = await distinctPorts(options.apps);
  const processes = new Map<PipelineApp, AppProcess>();
  const url = (app: PipelineApp) => `http://127.0.0.1:${ports.get(app)}`;
  const start = async (app: PipelineApp) => {
    const settings = {
      ...options.environment.overrides,
      ...addressesOf(ports, url),
      ...options.overrides,
    };
    processes.set(
      app,
      startAppProcess(pipelineApps[app], { ...settings, HTTP_PORT: String(ports.get(app)) }),
    );
    await answering(
      url(app),
      options.startTimeoutMs ?? 90_000,
      () => `${app} (${processes.get(app)?.output().slice(-500)})`,
    );
  };
  const pipeline: Pipeline = {
    url,
    process: (app) => processes.get(app)!,
    restart: start,
    stop: async () => {
      await Promise.all([...processes.values()].map(stopped));
    },
  };
  try {
    await Promise.all(options.apps.map(start));
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
  return pipeline;
}

/**
 * A free port for each app, no two the same: two apps given one port would both seem to answer,
 * one of them on the other's behalf (the other failed to listen).
 */
async function distinctPorts(apps: readonly PipelineApp[]): Promise<Map<PipelineApp, number>> {
  const ports = new Map<PipelineApp, number>();
  for (const app of apps) {
    let port = await freePort();
    while ([...ports.values()].includes(port)) port = await freePort();
    ports.set(app, port);
  }
  return ports;
}

/** Until the app answers /health with 200 (ok or degraded; 503 is up but not ready). */
async function answering(base: string, timeoutMs: number, which: () => string): Promise<void> {
  await waitFor(
    async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200,
    { timeoutMs, intervalMs: 200, description: () => `${which()} answering /health` },
  );
}

/** Asks the process to stop (SIGTERM: it closes its consumers), killing it if it takes too long. */
async function stopped(app: AppProcess): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
  app.kill('SIGTERM');
  const timer = setTimeout(() => app.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Where the pipeline's apps find each other: each address setting of an app it runs. */
function addressesOf(
  ports: ReadonlyMap<PipelineApp, number>,
  url: (app: PipelineApp) => string,
): Record<string, string> {
  const settings: Array<[PipelineApp, string]> = [
    // The centre records through this pipeline's consent API; links point at this centre.
    ['consent-api', 'CONSENT_API_URL'],
    ['preference-centre', 'PREFERENCE_CENTRE_URL'],
    // The dashboard signs in with this provider, which sends people back to this dashboard.
    ['compliance-dashboard', 'DASHBOARD_URL'],
    ['identity-provider', 'OIDC_ISSUER_URL'],
    ['auditor', 'AUDITOR_URL'],
  ];
  return Object.fromEntries(
    settings.filter(([app]) => ports.has(app)).map(([app, setting]) => [setting, url(app)]),
  );
}
