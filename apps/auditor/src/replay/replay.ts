import type { LoadedConsentPolicy } from '@consent-ledger/config';
import { decide, initialState } from '@consent-ledger/consent-domain';
import type { SubjectConsentState } from '@consent-ledger/consent-domain';
import type { AuditContext } from '../audit-context';
import { partitionRanges } from '../event-log.reader';
import type { LogReadProgress, UnreadableRecord } from '../event-log.reader';
import type { FoldWorkers } from '../fold-workers';
import { foldLog } from '../parallel-fold';
import type { LogReaderKind, TimeAxis } from '../replay-options';

/** One subject and purpose as of a moment: the decision and the choice behind it. */
export interface ReplayRow {
  readonly subjectId: string;
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly basis: string;
  readonly regime: string;
  readonly decidedBy: string | null;
  readonly choiceAction: string | null;
  readonly choiceEventId: string | null;
  readonly choiceOccurredAt: string | null;
  readonly jurisdiction: string | null;
}

export interface ReplayOptions {
  readonly asOf: Date;
  readonly subjectIds?: readonly string[];
  readonly purposes?: readonly string[];
  /** Another topic holding consent events (a copy of the log, an archive); default the live one. */
  readonly topic?: string;
  /** Readers (threads) to fold with; default one per core for large logs, else one. */
  readonly readers?: number;
  /** Which time `asOf` is on: when events were recorded (default) or when people acted. */
  readonly timeAxis?: TimeAxis;
  /** How to read the log (default: Fetch requests to the leaders where the cluster allows). */
  readonly logReader?: LogReaderKind;
  /** Worker threads started ahead (see {@link FoldWorkers}); others are started as needed. */
  readonly workers?: FoldWorkers;
  readonly onProgress?: (progress: LogReadProgress) => void;
}

export interface ReplayResult {
  readonly asOf: string;
  readonly topic: string;
  readonly recordsRead: number;
  readonly eventsApplied: number;
  readonly subjects: number;
  readonly unreadable: readonly UnreadableRecord[];
  /** Threads that read the log, and how. */
  readonly readers: number;
  readonly logReader: LogReaderKind;
  /** From the first fetch sent to the merged result (the start-up before it left out). */
  readonly fetchMs: number;
  readonly totalMs: number;
  readonly states: ReadonlyMap<string, SubjectConsentState>;
}

/**
 * The state at `asOf`: the fold of every event recorded by then, read from the log. Large logs
 * are read by one worker thread per core, each folding its share of the partitions.
 */
export async function replayLog(
  context: AuditContext,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const started = Date.now();
  const topic = options.topic ?? context.eventsTopic;
  const ranges = await partitionRanges(context.kafka, topic);
  const folded = await foldLog(
    {
      kafka: context.config.kafka,
      schemaRegistry: context.config.schemaRegistry,
      topic,
      readerSchema: context.foldSchema,
      ranges,
      asOf: options.asOf.getTime(),
      timeAxis: options.timeAxis ?? 'recorded',
      subjectIds: options.subjectIds ?? null,
      ...(options.logReader ? { logReader: options.logReader } : {}),
    },
    options.readers,
    options.onProgress,
    options.workers,
  );
  const states = folded.states;
  for (const subjectId of options.subjectIds ?? []) {
    if (!states.has(subjectId)) states.set(subjectId, initialState());
  }
  const finished = Date.now();
  const { records, eventsApplied, unreadable, readers, logReader, firstFetchAt } = folded;
  return {
    ...{ asOf: options.asOf.toISOString(), topic, recordsRead: records, eventsApplied },
    ...{ subjects: states.size, unreadable, readers, logReader },
    fetchMs: firstFetchAt === 0 ? 0 : finished - firstFetchAt,
    totalMs: finished - started,
    states,
  };
}

/** Rows for each subject (sorted) and purpose (the taxonomy's, or those asked for). */
export function replayRows(
  consentPolicy: LoadedConsentPolicy,
  states: ReadonlyMap<string, SubjectConsentState>,
  at: Date,
  purposes?: readonly string[],
): ReplayRow[] {
  const { taxonomy } = consentPolicy;
  const purposeIds = purposes && purposes.length > 0 ? purposes : [...taxonomy.purposes.keys()];
  const rows: ReplayRow[] = [];
  for (const subjectId of [...states.keys()].sort()) {
    const state = states.get(subjectId)!;
    for (const purpose of purposeIds)
      rows.push(replayRow(consentPolicy, subjectId, state, purpose, at));
  }
  return rows;
}

function replayRow(
  { taxonomy, policy }: LoadedConsentPolicy,
  subjectId: string,
  state: SubjectConsentState,
  purpose: string,
  at: Date,
): ReplayRow {
  const decision = decide(state, purpose, { taxonomy, policy, at });
  const choice = decision.decidedBy ? (state.choices[decision.decidedBy] ?? null) : null;
  return {
    subjectId,
    purpose,
    allowed: decision.allowed,
    reason: decision.reason,
    basis: decision.basis,
    regime: decision.regime,
    decidedBy: decision.decidedBy,
    choiceAction: choice?.action ?? null,
    choiceEventId: choice?.eventId ?? null,
    choiceOccurredAt: choice?.occurredAt.toISOString() ?? null,
    jurisdiction: state.jurisdiction,
  };
}
