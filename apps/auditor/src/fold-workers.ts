import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Starts a fold worker thread (TypeScript sources under ts-node, or compiled). */
export function startFoldWorker(): Worker {
  const typescript = extname(__filename) === '.ts';
  return new Worker(join(__dirname, `log-fold.worker${extname(__filename)}`), {
    execArgv: typescript
      ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register']
      : ['-r', 'tsconfig-paths/register'],
  });
}

/**
 * Worker threads started ahead of a replay (by the CLI, before it connects to anything), so that
 * their start-up (a thread, then the modules it loads: about a quarter of a second) overlaps the
 * caller's instead of delaying the worker's share of the log. Those a replay does not use are
 * ended by {@link close}.
 */
export class FoldWorkers {
  private readonly idle: Worker[];

  private constructor(count: number) {
    this.idle = Array.from({ length: count }, startFoldWorker);
    // A thread that fails while idle is simply not used (its replay starts another).
    for (const worker of this.idle) worker.on('error', () => this.drop(worker));
  }

  static start(count: number): FoldWorkers {
    return new FoldWorkers(Math.max(0, count));
  }

  /** A started worker, or a new one when none is left. */
  take(): Worker {
    return this.idle.pop() ?? startFoldWorker();
  }

  close(): void {
    for (const worker of this.idle.splice(0)) void worker.terminate();
  }

  private drop(worker: Worker): void {
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
  }
}
