import { parentPort, workerData } from 'node:worker_threads';
import { foldLogPartitions, type LogFoldTask } from './log-fold';

/** A worker thread folding its share of the log's partitions (see parallel replay). */
const port = parentPort!;
foldLogPartitions(workerData as LogFoldTask, ({ read }) =>
  port.postMessage({ type: 'progress', read }),
)
  .then((result) => port.postMessage({ type: 'done', result }))
  .catch((error: unknown) =>
    port.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    }),
  );
