import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { childEnvironment } from '@consent-ledger/config';

/** An app running as its own process, as in production, with its output kept for diagnostics. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** The last few kilobytes the app printed. */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `entry` (an app's main.ts) as a child process with `overrides` on top of this
 * environment. `compiled`: run the JavaScript that `npm run build` wrote to dist/ instead, as in
 * production (no TypeScript compiler in the process; benchmarks use it).
 */
export function startAppProcess(
  entry: string,
  overrides: Readonly<Record<string, string>>,
  { compiled = false }: { readonly compiled?: boolean } = {},
): AppProcess {
  let output = '';
  const args = compiled
    ? ['-r', 'tsconfig-paths/register', `dist/${entry.replace(/\.ts$/, '.js')}`]
    : ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', entry];
  const child = spawn(process.execPath, args, {
    env: childEnvironment({
      LOG_LEVEL: 'warn',
      ...overrides,
      TS_NODE_TRANSPILE_ONLY: 'true',
      // tsconfig-paths resolves @consent-ledger/* under dist/ for compiled code.
      ...(compiled ? { TS_NODE_BASEURL: './dist' } : {}),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output, kill: (signal = 'SIGKILL') => void child.kill(signal) };
}
