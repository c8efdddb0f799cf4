import { execFile } from 'node:child_process';
import { loadConfigWith } from '@consent-ledger/config';
import {
  createTestEnvironment,
  startAppProcess,
  startFakeVendor,
  startTcpProxy,
  waitFor,
} from '@consent-ledger/testing';
import type { AppProcess, FakeVendor, TcpProxy, TestEnvironment } from '@consent-ledger/testing';

/** The three-node cluster that `stack.sh cluster up` starts. */
export const CLUSTER_BOOTSTRAP = '127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093';
export const CLUSTER_NODE_IDS = [1, 2, 3] as const;

/** The apps the suite runs as processes of their own, each on a port of its own. */
export const APP_PORTS = { api: 3960, projector: 3961, connectors: 3962 } as const;
export type AppName = keyof typeof APP_PORTS;
const ENTRIES: Record<AppName, string> = {
  api: 'apps/consent-api/src/main.ts',
  projector: 'apps/projector/src/main.ts',
  connectors: 'apps/connectors/src/main.ts',
};

/** Runs `deploy/local/stack.sh` with arguments (a broker fault, the registry stopped). */
export function stack(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('bash', ['deploy/local/stack.sh', ...args], (error, stdout, stderr) =>
      error
        ? reject(new Error(`stack.sh ${args.join(' ')}: ${stderr || error.message}`))
        : resolve(stdout),
    ),
  );
}

/**
 * The system as production runs it, on the cluster: the consent API, the projector (with its
 * outbox relay) and the connectors as processes, the email platform and the CRM as vendor-shaped
 * servers, and the apps' database connections through a proxy the suite can cut.
 */
export class SystemUnderTest {
  readonly apps = new Map<AppName, AppProcess>();

  private constructor(
    readonly environment: TestEnvironment,
    readonly databaseProxy: TcpProxy,
    readonly emailPlatform: FakeVendor,
    readonly crm: FakeVendor,
    readonly appOverrides: Readonly<Record<string, string>>,
  ) {}

  static async start(): Promise<SystemUnderTest> {
    const emailPlatform = await startFakeVendor(201);
    const crm = await startFakeVendor(200);
    const environment = await createTestEnvironment({
      KAFKA_BROKERS: CLUSTER_BOOTSTRAP,
      KAFKA_REPLICATION_FACTOR: '3',
      EMAIL_PLATFORM_URL: emailPlatform.url,
      CRM_URL: crm.url,
      // The fault suite's client retries for a minute; the sinks keep trying a vendor that long.
      SINK_MAX_ATTEMPTS: '30',
      LOG_LEVEL: 'warn',
    });
    const database = new URL(environment.database.url);
    const databaseProxy = await startTcpProxy(database.hostname, Number(database.port || 5432));
    database.host = `127.0.0.1:${databaseProxy.port}`;
    const appOverrides = { ...environment.overrides, DATABASE_URL: database.toString() };
    // Every app's configuration must load (it fails fast on a typo in the suite's settings).
    loadConfigWith(appOverrides);
    const system = new SystemUnderTest(
      environment,
      databaseProxy,
      emailPlatform,
      crm,
      appOverrides,
    );
    for (const app of ['api', 'projector', 'connectors'] as const) await system.startApp(app);
    return system;
  }

  url(app: AppName): string {
    return `http://127.0.0.1:${APP_PORTS[app]}`;
  }

  async startApp(app: AppName): Promise<void> {
    const running = startAppProcess(ENTRIES[app], {
      ...this.appOverrides,
      HTTP_PORT: String(APP_PORTS[app]),
    });
    this.apps.set(app, running);
    const exited = new Promise<never>((_, reject) =>
      running.child.once('exit', (code) =>
        reject(
          new Error(`${app} exited (${code}) while starting: ${running.output().slice(-2_000)}`),
        ),
      ),
    );
    let lastHealth = 'no answer yet';
    const healthy = waitFor(
      async () => {
        const response = await fetch(`${this.url(app)}/health`);
        lastHealth = `${response.status} ${await response.text()}`;
        return response.ok;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 200,
        // A start that never gets healthy says why: its last /health answer and its output.
        description: () =>
          `${app} healthy (last /health: ${lastHealth.slice(0, 1_000)}; its output ends: ${running.output().slice(-3_000)})`,
      },
    );
    await Promise.race([healthy, exited]);
    exited.catch(() => undefined);
  }

  /** SIGKILL, as a crash or the kernel's OOM killer would; returns once the process is gone. */
  async killApp(app: AppName): Promise<void> {
    const process = this.apps.get(app);
    if (!process || process.child.exitCode !== null) return;
    const exited = new Promise((resolve) => process.child.once('exit', resolve));
    process.kill('SIGKILL');
    await exited;
  }

  /** What the app says of itself on /health (`ok`, `degraded`, `down`, or `unreachable`). */
  async health(app: AppName): Promise<string> {
    try {
      const response = await fetch(`${this.url(app)}/health`, {
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { status?: unknown };
      // A healthy or degraded app says so in words; a problem document's status is its code.
      if (typeof body.status === 'string') return body.status;
      return response.ok ? 'ok' : `down (${response.status})`;
    } catch {
      return 'unreachable';
    }
  }

  async stop(): Promise<void> {
    for (const app of this.apps.keys()) await this.killApp(app);
    await this.databaseProxy.close();
    await this.environment.dispose();
    await this.emailPlatform.close();
    await this.crm.close();
  }
}
