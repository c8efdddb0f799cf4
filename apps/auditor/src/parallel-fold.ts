import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startFoldWorker } from './fold-workers';
import type { FoldWorkers } from './fold-workers';
import type { LogReadProgress, PartitionRange } from './event-log.reader';
import { unpackStates } from './folded-states.transfer';
import type { PackedStates } from './folded-states.transfer';
import { foldLogPartitions } from './log-fold';
import type { LogFoldResult, LogFoldTask } from './log-fold';

/** Below this many records a replay folds on the calling thread: threads cost more than they save. */
export const PARALLEL_REPLAY_MIN_RECORDS = 100_000;

/**
 * Splits partitions among `readers`, largest first onto the least-loaded reader, so that each
 * reader has about the same number of records.
 */
export function splitPartitions(
  ranges: Readonly<Record<number, PartitionRange>>,
  readers: number,
): number[][] {
  const sizes = Object.entries(ranges)
    .map(([partition, range]) => ({
      partition: Number(partition),
      size: Number(range.high) - Number(range.low),
    }))
    .filter((entry) => entry.size > 0)
    .sort((a, b) => b.size - a.size || a.partition - b.partition);
  const shares = Array.from({ length: Math.max(1, Math.min(readers, sizes.length)) }, () => ({
    partitions: [] as number[],
    load: 0,
  }));
  for (const { partition, size } of sizes) {
    const lightest = shares.reduce((min, share) => (share.load < min.load ? share : min));
    lightest.partitions.push(partition);
    lightest.load += size;
  }
  return shares.map((share) => share.partitions.sort((a, b) => a - b));
}

/** How many readers a replay of `records` uses by default: one per core, above a size. */
export function defaultReaderCount(records: number): number {
  return records < PARALLEL_REPLAY_MIN_RECORDS ? 1 : availableParallelism();
}

/**
 * Runs one fold task on a worker thread. The task is sent at once: a thread still loading
 * receives it when it starts listening.
 */
function foldOnWorker(
  thread: Worker,
  task: LogFoldTask,
  onRead: (read: number) => void,
): Promise<LogFoldResult> {
  return new Promise<LogFoldResult>((resolve, reject) => {
    thread.on(
      'message',
      (message: {
        type: string;
        read?: number;
        result?: Omit<LogFoldResult, 'states'> & { states: PackedStates };
        message?: string;
      }) => {
        if (message.type === 'progress') onRead(message.read!);
        else if (message.type === 'done')
          resolve({ ...message.result!, states: unpackStates(message.result!.states) });
        else if (message.type === 'failed') reject(new Error(message.message));
      },
    );
    thread.on('error', reject);
    thread.on('exit', (code) =>
      reject(new Error(`replay worker exited with code ${code} before finishing`)),
    );
    thread.postMessage(task);
  }).finally(() => void thread.terminate());
}

/**
 * Folds the log's partitions with `readers` readers (default: {@link defaultReaderCount} for the
 * log's size): this thread and, past the first, one worker thread each (each with its own
 * connections and schema cache). The folds are merged by union, which is exact because no
 * subject spans two partitions.
 */
export async function foldLog(
  base: Omit<LogFoldTask, 'partitions' | 'clientSuffix'>,
  readers: number | undefined,
  onProgress?: (progress: LogReadProgress) => void,
  workers?: FoldWorkers,
): Promise<LogFoldResult & { readonly readers: number }> {
  const total = Object.values(base.ranges).reduce(
    (sum, range) => sum + Number(range.high) - Number(range.low),
    0,
  );
  const shares = splitPartitions(base.ranges, readers ?? defaultReaderCount(total));
  if (shares.length <= 1) {
    const result = await foldLogPartitions(
      { ...base, partitions: shares[0] ?? [], clientSuffix: 'auditor' },
      onProgress,
    );
    return { ...result, readers: 1 };
  }
  // This thread folds the first share itself (it would otherwise wait), a worker each of the
  // rest; only the workers' states are copied back.
  const readSoFar = shares.map(() => 0);
  const reportRead = (index: number) => (read: number) => {
    readSoFar[index] = read;
    onProgress?.({ read: readSoFar.reduce((a, b) => a + b, 0), total });
  };
  const results = await Promise.all(
    shares.map((partitions, index) => {
      const task = { ...base, partitions, clientSuffix: `auditor-${index}` };
      return index === 0
        ? foldLogPartitions(task, ({ read }) => reportRead(0)(read))
        : foldOnWorker(workers?.take() ?? startFoldWorker(), task, reportRead(index));
    }),
  );
  // Each subject is in one result: the others' states are added to the first's.
  const [{ states }, ...others] = results;
  for (const other of others)
    for (const [subjectId, state] of other.states) states.set(subjectId, state);
  const started = results.map((r) => r.firstFetchAt).filter((at) => at > 0);
  return {
    states,
    records: results.reduce((sum, r) => sum + r.records, 0),
    eventsApplied: results.reduce((sum, r) => sum + r.eventsApplied, 0),
    unreadable: results.flatMap((r) => r.unreadable),
    firstFetchAt: started.length > 0 ? Math.min(...started) : 0,
    logReader: results[0]!.logReader,
    readers: shares.length,
  };
}
