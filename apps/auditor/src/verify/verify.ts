import { ChainVerifier, compareStates, evolve, initialState } from '@consent-ledger/consent-domain';
import type {
  ConsentEvent,
  LoggedEvent,
  SubjectConsentState,
} from '@consent-ledger/consent-domain';
import { consentTopics, hashConsentEvent, readLatestCheckpoint } from '@consent-ledger/kafka';
import type { ExportedCheckpoint } from '@consent-ledger/kafka';
import {
  AuditRepository,
  ConsentReadModelRepository,
  ProjectionCheckpointRepository,
} from '@consent-ledger/persistence';
import type { StoredEvent } from '@consent-ledger/persistence';
import type { AuditContext } from '../audit-context';
import { measureAgainstCheckpoint } from '../chain-checkpoints';
import { readEventLog } from '../event-log.reader';
import type { LogReadProgress } from '../event-log.reader';
import type { LogReaderKind } from '../replay-options';

import type {
  CheckpointChoice,
  VerifyFinding,
  VerifyFindingKind,
  VerifyReport,
} from './verify-report';

export type {
  CheckpointChoice,
  VerifyFinding,
  VerifyFindingKind,
  VerifyReport,
} from './verify-report';

/** The projector's checkpoint name (apps/projector): how far the read model has read the log. */
const READ_MODEL_PROJECTION = 'consent-read-model';

export interface VerifyOptions {
  readonly asOf?: Date;
  readonly topic?: string;
  readonly logReader?: LogReaderKind;
  /** Default: the latest for the live log, none for another topic; never with `asOf`. */
  readonly checkpoint?: CheckpointChoice;
  readonly onProgress?: (progress: LogReadProgress) => void;
}

/** The last checkpoint of the live log on the checkpoints topic, with its leaves. */
export function latestCheckpoint(context: AuditContext): Promise<ExportedCheckpoint | undefined> {
  return readLatestCheckpoint(
    context.kafka,
    consentTopics(context.config.kafka.topicPrefix).checkpoints,
    context.eventsTopic,
  );
}

/**
 * Replays the log, checks every subject's hash chain, and compares the log with the read model:
 * each stored event with the logged one, each subject's state (current, or as of `asOf` from
 * the stored history), and each chain's head with the API's.
 */
export async function verifyLog(
  context: AuditContext,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const topic = options.topic ?? context.eventsTopic;
  const isLiveLog = topic === context.eventsTopic;
  const asOf = options.asOf ?? null;
  // Read before the log, so that the log holds at least everything below its frontier.
  const checkpoint = asOf
    ? undefined
    : await checkpointFor(context, options.checkpoint ?? (isLiveLog ? 'latest' : 'none'));
  // What the projector has passed, read before the log so the log is at least as far along.
  const passed = await new ProjectionCheckpointRepository(READ_MODEL_PROJECTION).all(
    context.dataSource.manager,
    context.eventsTopic,
  );
  const verification = new LogVerification(
    context,
    asOf,
    (partition, offset) => !isLiveLog || BigInt(offset) < (passed.get(partition) ?? 0n),
  );
  await verification.readLog(topic, options);
  const readModelEvents = await verification.compareStoredEvents(isLiveLog);
  const subjects = await verification.compareStates();
  if (!asOf) await verification.compareHeads();
  if (checkpoint) verification.measureAgainst(checkpoint);
  return verification.report({ topic, readModelEvents, subjectsCompared: subjects, checkpoint });
}

async function checkpointFor(
  context: AuditContext,
  choice: CheckpointChoice,
): Promise<ExportedCheckpoint | undefined> {
  if (choice === 'none') return undefined;
  if (choice === 'latest') return latestCheckpoint(context);
  return choice;
}

const at = (
  kind: VerifyFindingKind,
  where: Partial<Omit<VerifyFinding, 'kind' | 'detail'>>,
  detail: string,
): VerifyFinding => ({
  kind,
  subjectId: null,
  eventId: null,
  partition: null,
  offset: null,
  ...where,
  detail,
});

/** One verification's findings, built step by step as the log and the read model are read. */
class LogVerification {
  private readonly audit = new AuditRepository();
  private readonly readModel = new ConsentReadModelRepository();
  private readonly chains = new ChainVerifier(hashConsentEvent);
  /** Logged events not (yet) matched by a stored one. */
  private readonly logged = new Map<string, { hash: string; partition: number; offset: string }>();
  /** The log folded per subject, over what the projector passed (as of the moment asked). */
  private readonly states = new Map<string, SubjectConsentState>();
  /** The read model's stored history folded per subject, the same way. */
  private readonly storedStates = new Map<string, SubjectConsentState>();
  private readonly findings: VerifyFinding[] = [];

  constructor(
    private readonly context: AuditContext,
    private readonly asOf: Date | null,
    private readonly projected: (partition: number, offset: string) => boolean,
  ) {}

  async readLog(topic: string, options: VerifyOptions): Promise<void> {
    await readEventLog<ConsentEvent>({
      kafka: this.context.config.kafka,
      ...(options.logReader ? { logReader: options.logReader } : {}),
      serde: this.context.serde,
      topic,
      readerSchema: this.context.readerSchema,
      onEvents: (events: readonly LoggedEvent[]) => events.forEach((entry) => this.logEvent(entry)),
      onUnreadable: (record) =>
        this.findings.push(
          at(
            'UNREADABLE',
            { partition: record.partition, offset: record.offset },
            `${record.code}: ${record.reason}`,
          ),
        ),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    this.findings.push(...this.chains.result().map((finding) => ({ ...finding })));
  }

  private logEvent(entry: LoggedEvent): void {
    const hash = this.chains.add(entry);
    const { event, partition, offset } = entry;
    this.logged.set(event.eventId, { hash, partition, offset });
    if (!this.projected(partition, offset)) return;
    if (this.asOf && event.recordedAt > this.asOf) return;
    this.states.set(
      event.subjectId,
      evolve(this.states.get(event.subjectId) ?? initialState(), event),
    );
  }

  /** Every stored event against the log, and the stored history folded per subject. */
  async compareStoredEvents(isLiveLog: boolean): Promise<number> {
    let readModelEvents = 0;
    for await (const page of this.audit.allEvents(this.context.dataSource.manager, null)) {
      for (const stored of page) {
        readModelEvents += 1;
        this.compareStored(stored);
        if (this.asOf && stored.recordedAt > this.asOf) continue;
        if (isLiveLog && !this.projected(stored.position.partition, stored.position.offset))
          continue;
        const before = this.storedStates.get(stored.subjectId) ?? initialState();
        this.storedStates.set(stored.subjectId, evolve(before, stored));
      }
    }
    for (const [eventId, where] of this.logged) {
      if (!isLiveLog || !this.projected(where.partition, where.offset)) continue;
      this.findings.push(
        at(
          'NOT_IN_READ_MODEL',
          { eventId, ...where },
          'the projector passed this offset but the read model does not hold the event',
        ),
      );
    }
    return readModelEvents;
  }

  private compareStored(stored: StoredEvent): void {
    const inLog = this.logged.get(stored.eventId);
    this.logged.delete(stored.eventId);
    const { subjectId, eventId } = stored;
    const { partition, offset } = stored.position;
    if (!inLog) {
      this.findings.push(
        at(
          'MISSING_FROM_LOG',
          { subjectId, eventId, partition, offset },
          `the read model holds this event (read from ${stored.position.topic} partition ${partition} offset ${offset}); the log does not`,
        ),
      );
      return;
    }
    const storedHash = hashConsentEvent(stored);
    if (inLog.hash !== storedHash)
      this.findings.push(
        at(
          'ALTERED',
          { subjectId, eventId, partition: inLog.partition, offset: inLog.offset },
          `the logged event differs from the copy the projector stored (hash ${inLog.hash.slice(0, 12)}… vs ${storedHash.slice(0, 12)}…)`,
        ),
      );
  }

  /** Current state from the read model's state tables; a past one from its stored history. */
  async compareStates(): Promise<number> {
    const subjects = new Set([...this.states.keys(), ...this.storedStates.keys()]);
    const current = this.asOf
      ? this.storedStates
      : await this.readModel.loadStates(this.context.dataSource.manager, [...subjects]);
    for (const subjectId of [...subjects].sort()) {
      const differences = compareStates(
        this.states.get(subjectId) ?? initialState(),
        current.get(subjectId) ?? initialState(),
      );
      if (differences.length === 0) continue;
      const detail = differences
        .map(
          (d) =>
            `${d.field}: log says ${d.replayed ?? 'nothing'}, read model ${d.stored ?? 'nothing'}`,
        )
        .join('; ');
      this.findings.push(at('STATE_MISMATCH', { subjectId }, detail));
    }
    return subjects.size;
  }

  /** Each chain's last link against the one the API wrote. */
  async compareHeads(): Promise<void> {
    const logHeads = this.chains.heads();
    for (const [subjectId, head] of await this.audit.writeHeads(this.context.dataSource.manager)) {
      const logHead = logHeads.get(subjectId);
      if (logHead === head) continue;
      this.findings.push(
        at(
          'HEAD_MISMATCH',
          { subjectId },
          logHead
            ? `the API's last event for this subject hashes to ${head.slice(0, 12)}…; the log's last is ${logHead.slice(0, 12)}…: the last event was altered or dropped, or one was added`
            : 'the API recorded events for this subject; the log holds none',
        ),
      );
    }
  }

  measureAgainst(checkpoint: ExportedCheckpoint): void {
    this.findings.push(
      ...measureAgainstCheckpoint(checkpoint, this.chains, this.context.config.chainCheckpoints),
    );
  }

  report(summary: {
    topic: string;
    readModelEvents: number;
    subjectsCompared: number;
    checkpoint: ExportedCheckpoint | undefined;
  }): VerifyReport {
    const { checkpoint } = summary;
    return {
      consistent: this.findings.length === 0,
      topic: summary.topic,
      asOf: this.asOf?.toISOString() ?? null,
      eventsChecked: this.chains.eventCount,
      repeatedRecords: this.chains.exactRepeatCount,
      subjectsCompared: summary.subjectsCompared,
      readModelEvents: summary.readModelEvents,
      checkpoint: checkpoint
        ? {
            checkpointId: checkpoint.checkpoint.checkpointId,
            createdAt: checkpoint.checkpoint.createdAt,
            subjectCount: checkpoint.checkpoint.subjectCount,
            keyId: checkpoint.checkpoint.keyId,
          }
        : null,
      findings: this.findings,
    };
  }
}
