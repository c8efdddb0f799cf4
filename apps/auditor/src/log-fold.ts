import type { KafkaSettings, SchemaRegistrySettings } from '@consent-ledger/config';
import { evolve, initialState } from '@consent-ledger/consent-domain';
import type { FoldableEvent, SubjectConsentState } from '@consent-ledger/consent-domain';
// Imported file by file: a replay's worker threads start faster without the rest of the library.
import { AvroSerde } from '@consent-ledger/kafka/avro-serde';
import type { LogReaderKind, TimeAxis } from './replay-options';
import { readEventLog } from './event-log.reader';
import type { LogReadProgress, PartitionRange, UnreadableRecord } from './event-log.reader';

/** What one reader folds: plain data, so it can be handed to a worker thread. */
export interface LogFoldTask {
  readonly kafka: KafkaSettings;
  readonly schemaRegistry: SchemaRegistrySettings;
  readonly topic: string;
  readonly readerSchema: string;
  readonly partitions: readonly number[];
  readonly ranges: Readonly<Record<number, PartitionRange>>;
  /** Events after this moment (ms since the epoch) on the chosen time axis are left out. */
  readonly asOf: number;
  /**
   * `recorded` (default): what the system had recorded by then, the state its views held.
   * `occurred`: what the person had done by then, as far as the log knows now (late imports of
   * older choices count at the time they were made).
   */
  readonly timeAxis: TimeAxis;
  readonly subjectIds: readonly string[] | null;
  readonly clientSuffix: string;
  /** How to read the log; default the direct reader where the cluster allows. */
  readonly logReader?: LogReaderKind;
}

export interface LogFoldResult {
  readonly states: Map<string, SubjectConsentState>;
  readonly records: number;
  readonly eventsApplied: number;
  readonly unreadable: UnreadableRecord[];
  readonly firstFetchAt: number;
  readonly logReader: LogReaderKind;
}

/**
 * Folds the events of some partitions of the log, recorded by `asOf`, with the projector's fold.
 * A subject's events all sit in one partition (the record key is the subject id), so folds of
 * different partitions never share a subject and merge by simple union.
 */
export async function foldLogPartitions(
  task: LogFoldTask,
  onProgress?: (progress: LogReadProgress) => void,
): Promise<LogFoldResult> {
  const wanted = task.subjectIds ? new Set(task.subjectIds) : null;
  // One holder per subject, so that each event costs one lookup (a million events, 100,000 keys).
  const folds = new Map<string, { state: SubjectConsentState }>();
  const unreadable: UnreadableRecord[] = [];
  let eventsApplied = 0;
  const read = await readEventLog<FoldableEvent>({
    kafka: task.kafka,
    clientIdSuffix: task.clientSuffix,
    serde: AvroSerde.connect(task.schemaRegistry),
    topic: task.topic,
    readerSchema: task.readerSchema,
    partitions: task.partitions,
    checkKeys: false,
    endOffsets: task.ranges,
    ...(task.logReader ? { logReader: task.logReader } : {}),
    onEvent: (event) => {
      const at = task.timeAxis === 'occurred' ? event.occurredAt : event.recordedAt;
      if (at.getTime() > task.asOf) return;
      if (wanted && !wanted.has(event.subjectId)) return;
      const fold = folds.get(event.subjectId);
      if (fold) fold.state = evolve(fold.state, event);
      else folds.set(event.subjectId, { state: evolve(initialState(), event) });
      eventsApplied += 1;
    },
    onUnreadable: (record) => unreadable.push(record),
    ...(onProgress ? { onProgress } : {}),
  });
  const states = new Map<string, SubjectConsentState>();
  for (const [subjectId, fold] of folds) states.set(subjectId, fold.state);
  return {
    states,
    records: read.records,
    eventsApplied,
    unreadable,
    firstFetchAt: read.firstFetchAt,
    logReader: read.reader,
  };
}
