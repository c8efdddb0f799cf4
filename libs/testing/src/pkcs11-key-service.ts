import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '@consent-ledger/config';
import { freePort } from './pipeline';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** The SoftHSM2 PKCS#11 module Debian's softhsm2 package installs. */
export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** A PKCS#11 key service on a fresh SoftHSM2 token, for a test. */
export interface Pkcs11KeyServiceUnderTest {
  readonly url: string;
  /** The file holding the bearer token the service asks of its callers. */
  readonly tokenFile: string;
  /** Stops the service (the token stays: `start()` again finds the same keys). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the service and deletes the token. */
  dispose(): Promise<void>;
}

/** A fresh SoftHSM2 token in a directory of its own, with its user PIN and a bearer token. */
async function initialiseToken() {
  const directory = mkdtempSync(join(tmpdir(), 'softhsm-'));
  const config = join(directory, 'softhsm2.conf');
  writeFileSync(
    config,
    `directories.tokendir = ${directory}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = childEnvironment({ SOFTHSM2_CONF: config });
  await run(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'vault', '--pin', '246810', '--so-pin', '13579'],
    { env },
  );
  const pinFile = join(directory, 'pin');
  const tokenFile = join(directory, 'bearer-token');
  writeFileSync(pinFile, '246810\n', { mode: 0o600 });
  writeFileSync(tokenFile, `kms-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
  return { directory, env, pinFile, tokenFile };
}

/**
 * Initialises a SoftHSM2 token (softhsm2-util, a real PKCS#11 token) and starts
 * `deploy/kms/Pkcs11KeyService.java` on it (Java's SunPKCS11 provider), on a free loopback port;
 * resolves once it answers /health.
 */
export async function startPkcs11KeyService(): Promise<Pkcs11KeyServiceUnderTest> {
  const { directory, env, pinFile, tokenFile } = await initialiseToken();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  const service: Pkcs11KeyServiceUnderTest = {
    url,
    tokenFile,
    start: async () => {
      child = spawn('java', ['deploy/kms/Pkcs11KeyService.java'], {
        env: { ...env, PKCS11_LIBRARY: SOFTHSM2_MODULE, PKCS11_PIN_FILE: pinFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      }).on('error', (error) => keep(Buffer.from(error.message)));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      await waitFor(async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: () => `the PKCS#11 key service answering (${output})`,
      });
    },
    stop: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    dispose: async () => {
      await service.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  Object.assign(env, { KMS_TOKEN_FILE: tokenFile, KMS_PORT: String(port) });
  await service.start();
  return service;
}
