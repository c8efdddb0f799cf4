import { parentPort, workerData } from 'node:worker_threads';
import { packStates } from './folded-states.transfer';
import { foldLogPartitions, type LogFoldTask } from './log-fold';

/** A worker thread folding its share of the log's partitions (see parallel replay). */
const port = parentPort!;
foldLogPartitions(workerData as LogFoldTask, ({ read }) =>
  port.postMessage({ type: 'progress', read }),
)
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
