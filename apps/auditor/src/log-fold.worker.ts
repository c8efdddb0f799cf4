import { parentPort } from 'node:worker_threads';
import { packStates } from './folded-states.transfer';
import { foldLogPartitions } from './log-fold';
import type { LogFoldTask } from './log-fold';

/**
 * A worker thread folding a share of the log's partitions (see parallel replay). It may be
 * started ahead of the replay; it folds the task it is sent.
 */
const port = parentPort!;
port.once('message', (task: LogFoldTask) => {
  foldLogPartitions(task, ({ read }) => port.postMessage({ type: 'progress', read }))
    .then((result) => {
      const states = packStates(result.states);
      port.postMessage({ type: 'done', result: { ...result, states } }, [
        states.ints.buffer as ArrayBuffer,
        states.times.buffer as ArrayBuffer,
      ]);
    })
    .catch((error: unknown) =>
      port.postMessage({
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
      }),
    );
});
