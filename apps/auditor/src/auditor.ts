import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import {
  ChainVerifier,
  compareStates,
  decide,
  evolve,
  foldEvents,
  initialState,
  type ChainFinding,
  type CheckpointFinding,
  type ConsentEvent,
  type LoggedEvent,
  type SubjectConsentState,
  UnknownPurposeError,
} from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  consentTopics,
  type ExportedCheckpoint,
  foldReaderSchema,
  hashConsentEvent,
  latestSchemaText,
  sha256Hex,
} from '@consent-ledger/kafka';
import {
  AuditRepository,
  ConsentReadModelRepository,
  ProjectionCheckpointRepository,
  type RegisteredNotice,
  type SinkDelivery,
  type StoredEvent,
  type UsageQuery,
  type UsageRow,
} from '@consent-ledger/persistence';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  partitionRanges,
  readEventLog,
  type LogReadProgress,
  type UnreadableRecord,
} from './event-log.reader';
import type { LogReaderKind, TimeAxis } from './replay-options';
import type { FoldWorkers } from './fold-workers';
import { foldLog } from './parallel-fold';
import { measureAgainstCheckpoint, readLatestCheckpoint } from './chain-checkpoints';

/** The projector's checkpoint name (apps/projector): how far the read model has read the log. */
const READ_MODEL_PROJECTION = 'consent-read-model';

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
 * What `verify` reports. Chain findings come from the log alone; the others compare the log with
 * the read model: an event whose stored copy differs (`ALTERED`), one the read model holds but
 * the log does not (`MISSING_FROM_LOG`), one the projector passed but did not store
 * (`NOT_IN_READ_MODEL`), a subject whose state differs (`STATE_MISMATCH`), a chain whose last
 * link is not the one the API wrote (`HEAD_MISMATCH`), and records that cannot be read. Against
 * a signed checkpoint: the checkpoint itself not what was signed (`CHECKPOINT_INVALID`), and the
 * log measured against it (see {@link CheckpointFinding}).
 */
export type VerifyFindingKind =
  | ChainFinding['kind']
  | CheckpointFinding['kind']
  | 'CHECKPOINT_INVALID'
  | 'ALTERED'
  | 'MISSING_FROM_LOG'
  | 'NOT_IN_READ_MODEL'
  | 'STATE_MISMATCH'
  | 'HEAD_MISMATCH'
  | 'UNREADABLE';

export interface VerifyFinding {
  readonly kind: VerifyFindingKind;
  readonly subjectId: string | null;
  readonly eventId: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly detail: string;
}

export interface VerifyReport {
  readonly consistent: boolean;
  readonly topic: string;
  readonly asOf: string | null;
  readonly eventsChecked: number;
  /** Records that repeated an event exactly (sent again after Kafka acknowledged it late). */
  readonly repeatedRecords: number;
  readonly subjectsCompared: number;
  readonly readModelEvents: number;
  /** The signed checkpoint the log was measured against; null when there was none. */
  readonly checkpoint: {
    readonly checkpointId: string;
    readonly createdAt: string;
    readonly subjectCount: number;
    readonly keyId: string;
  } | null;
  readonly findings: readonly VerifyFinding[];
}

/**
 * Which checkpoint `verify` measures the log against: the last one on the checkpoints topic
 * (default for the live log), one exported earlier (for a copy or an archive), or none.
 */
export type CheckpointChoice = 'latest' | 'none' | ExportedCheckpoint;

export interface ProofEvent {
  readonly event: ConsentEvent;
  readonly position: StoredEvent['position'];
  readonly hash: string;
  /** This event's link matches the hash of the subject's event before it. */
  readonly linkIntact: boolean;
  readonly notice:
    (RegisteredNotice & { readonly textMatches: boolean }) | { readonly registered: false } | null;
}

export interface ConsentProof {
  readonly subjectId: string;
  readonly generatedAt: string;
  readonly policyVersion: string;
  readonly chainIntact: boolean;
  readonly current: readonly ReplayRow[];
  readonly events: readonly ProofEvent[];
  readonly deliveries: readonly SinkDelivery[];
  readonly usage: readonly UsageRow[];
}

export type ExportedEvent = ConsentEvent & { readonly partition: number; readonly offset: string };

export interface AuditorDependencies {
  readonly config: AppConfig;
  readonly consentPolicy: LoadedConsentPolicy;
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly dataSource: DataSource;
}

/**
 * The auditor's work, shared by the CLI and the HTTP API: replay the log to a moment with the
 * projector's own fold, verify the log against itself (hash chains) and the read model, prove
 * what one person agreed to, and export events for a regulator. Reads only.
 */
export class Auditor {
  private readonly audit = new AuditRepository();
  private readonly readModel = new ConsentReadModelRepository();
  /** Today's consent event schema: every past event is read in its shape. */
  private readonly readerSchema: string;
  /** The same without the fields the fold never reads: what a replay decodes. */
  private readonly foldSchema: string;
  private readonly eventsTopic: string;

  constructor(private readonly deps: AuditorDependencies) {
    this.readerSchema = latestSchemaText(deps.config.schemaRegistry.schemasDir, 'consent-event');
    this.foldSchema = foldReaderSchema(this.readerSchema);
    this.eventsTopic = consentTopics(deps.config.kafka.topicPrefix).events;
  }

  /**
   * The state at `asOf`: the fold of every event recorded by then, read from the log. Large logs
   * are read by one worker thread per core, each folding its share of the partitions.
   */
  async replay(options: ReplayOptions): Promise<ReplayResult> {
    const started = Date.now();
    const topic = options.topic ?? this.eventsTopic;
    const ranges = await partitionRanges(this.deps.kafka, topic);
    const folded = await foldLog(
      {
        kafka: this.deps.config.kafka,
        schemaRegistry: this.deps.config.schemaRegistry,
        topic,
        readerSchema: this.foldSchema,
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
    return {
      asOf: options.asOf.toISOString(),
      topic,
      recordsRead: folded.records,
      eventsApplied: folded.eventsApplied,
      subjects: states.size,
      unreadable: folded.unreadable,
      readers: folded.readers,
      logReader: folded.logReader,
      fetchMs: folded.firstFetchAt === 0 ? 0 : finished - folded.firstFetchAt,
      totalMs: finished - started,
      states,
    };
  }

  /** Rows for each subject (sorted) and purpose (the taxonomy's, or those asked for). */
  rows(
    states: ReadonlyMap<string, SubjectConsentState>,
    at: Date,
    purposes?: readonly string[],
  ): ReplayRow[] {
    const { taxonomy } = this.deps.consentPolicy;
    const purposeIds = purposes && purposes.length > 0 ? purposes : [...taxonomy.purposes.keys()];
    const rows: ReplayRow[] = [];
    for (const subjectId of [...states.keys()].sort()) {
      const state = states.get(subjectId)!;
      for (const purpose of purposeIds) rows.push(this.replayRow(subjectId, state, purpose, at));
    }
    return rows;
  }

  private replayRow(
    subjectId: string,
    state: SubjectConsentState,
    purpose: string,
    at: Date,
  ): ReplayRow {
    const { taxonomy, policy } = this.deps.consentPolicy;
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

  /** Purposes in the taxonomy: the rows a replay gives each subject by default. */
  purposeCount(): number {
    return this.deps.consentPolicy.taxonomy.purposes.size;
  }

  /** Throws the domain's UnknownPurposeError for a purpose the taxonomy does not define. */
  assertPurposes(purposes: readonly string[]): void {
    for (const purpose of purposes) {
      if (!this.deps.consentPolicy.taxonomy.purposes.has(purpose))
        throw new UnknownPurposeError(purpose);
    }
  }

  /**
   * Replays the log, checks every subject's hash chain, and compares the log with the read model:
   * each stored event with the logged one, each subject's state (current, or as of `asOf` from
   * the stored history), and each chain's head with the API's.
   */
  async verify(options: {
    asOf?: Date;
    topic?: string;
    logReader?: LogReaderKind;
    /** Default: the latest for the live log, none for another topic; never with `asOf`. */
    checkpoint?: CheckpointChoice;
    onProgress?: (progress: LogReadProgress) => void;
  }): Promise<VerifyReport> {
    const topic = options.topic ?? this.eventsTopic;
    const isLiveLog = topic === this.eventsTopic;
    const asOf = options.asOf ?? null;
    const manager = this.deps.dataSource.manager;
    // Read before the log, so that the log holds at least everything below its frontier.
    const checkpoint = asOf
      ? undefined
      : await this.checkpointFor(options.checkpoint ?? (isLiveLog ? 'latest' : 'none'));
    // What the projector has passed, read before the log so the log is at least as far along.
    const checkpoints = await new ProjectionCheckpointRepository(READ_MODEL_PROJECTION).all(
      manager,
      this.eventsTopic,
    );
    const chains = new ChainVerifier(hashConsentEvent);
    const logged = new Map<string, { hash: string; partition: number; offset: string }>();
    const states = new Map<string, SubjectConsentState>();
    const findings: VerifyFinding[] = [];
    const projected = (partition: number, offset: string) =>
      !isLiveLog || BigInt(offset) < (checkpoints.get(partition) ?? 0n);
    await readEventLog<ConsentEvent>({
      kafka: this.deps.config.kafka,
      ...(options.logReader ? { logReader: options.logReader } : {}),
      serde: this.deps.serde,
      topic,
      readerSchema: this.readerSchema,
      onEvents: (events: readonly LoggedEvent[]) => {
        for (const entry of events) {
          const hash = chains.add(entry);
          const { event, partition, offset } = entry;
          logged.set(event.eventId, { hash, partition, offset });
          // The state comparison covers what the projector has passed, as of the moment asked.
          if (!projected(partition, offset)) continue;
          if (asOf && event.recordedAt > asOf) continue;
          states.set(event.subjectId, evolve(states.get(event.subjectId) ?? initialState(), event));
        }
      },
      onUnreadable: (record) =>
        findings.push({
          kind: 'UNREADABLE',
          subjectId: null,
          eventId: null,
          partition: record.partition,
          offset: record.offset,
          detail: `${record.code}: ${record.reason}`,
        }),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    findings.push(...chains.result().map((finding) => ({ ...finding })));

    // Every stored event against the log, and the stored history folded per subject.
    const storedStates = new Map<string, SubjectConsentState>();
    let readModelEvents = 0;
    for await (const page of this.audit.allEvents(manager, null)) {
      for (const stored of page) {
        readModelEvents += 1;
        const inLog = logged.get(stored.eventId);
        logged.delete(stored.eventId);
        const where = { partition: stored.position.partition, offset: stored.position.offset };
        if (!inLog) {
          findings.push({
            kind: 'MISSING_FROM_LOG',
            subjectId: stored.subjectId,
            eventId: stored.eventId,
            ...where,
            detail: `the read model holds this event (read from ${stored.position.topic} partition ${where.partition} offset ${where.offset}); the log does not`,
          });
        } else {
          const storedHash = hashConsentEvent(stored);
          if (inLog.hash !== storedHash)
            findings.push({
              kind: 'ALTERED',
              subjectId: stored.subjectId,
              eventId: stored.eventId,
              partition: inLog.partition,
              offset: inLog.offset,
              detail: `the logged event differs from the copy the projector stored (hash ${inLog.hash.slice(0, 12)}… vs ${storedHash.slice(0, 12)}…)`,
            });
        }
        if (asOf && stored.recordedAt > asOf) continue;
        if (isLiveLog && !projected(stored.position.partition, stored.position.offset)) continue;
        storedStates.set(
          stored.subjectId,
          evolve(storedStates.get(stored.subjectId) ?? initialState(), stored),
        );
      }
    }
    for (const [eventId, where] of logged) {
      if (!isLiveLog || !projected(where.partition, where.offset)) continue;
      findings.push({
        kind: 'NOT_IN_READ_MODEL',
        subjectId: null,
        eventId,
        partition: where.partition,
        offset: where.offset,
        detail: 'the projector passed this offset but the read model does not hold the event',
      });
    }

    // Current state from the read model's state tables; a past one from its stored history.
    const subjects = new Set([...states.keys(), ...storedStates.keys()]);
    const current = asOf ? storedStates : await this.readModel.loadStates(manager, [...subjects]);
    for (const subjectId of [...subjects].sort()) {
      const differences = compareStates(
        states.get(subjectId) ?? initialState(),
        current.get(subjectId) ?? initialState(),
      );
      if (differences.length === 0) continue;
      findings.push({
        kind: 'STATE_MISMATCH',
        subjectId,
        eventId: null,
        partition: null,
        offset: null,
        detail: differences
          .map(
            (d) =>
              `${d.field}: log says ${d.replayed ?? 'nothing'}, read model ${d.stored ?? 'nothing'}`,
          )
          .join('; '),
      });
    }

    if (!asOf) {
      const logHeads = chains.heads();
      for (const [subjectId, head] of await this.audit.writeHeads(manager)) {
        const logHead = logHeads.get(subjectId);
        if (logHead === head) continue;
        findings.push({
          kind: 'HEAD_MISMATCH',
          subjectId,
          eventId: null,
          partition: null,
          offset: null,
          detail: logHead
            ? `the API's last event for this subject hashes to ${head.slice(0, 12)}…; the log's last is ${logHead.slice(0, 12)}…: the last event was altered or dropped, or one was added`
            : 'the API recorded events for this subject; the log holds none',
        });
      }
    }
    if (checkpoint)
      findings.push(
        ...measureAgainstCheckpoint(checkpoint, chains, this.deps.config.chainCheckpoints),
      );
    return {
      consistent: findings.length === 0,
      topic,
      asOf: asOf?.toISOString() ?? null,
      eventsChecked: chains.eventCount,
      repeatedRecords: chains.exactRepeatCount,
      subjectsCompared: subjects.size,
      readModelEvents,
      checkpoint: checkpoint
        ? {
            checkpointId: checkpoint.checkpoint.checkpointId,
            createdAt: checkpoint.checkpoint.createdAt,
            subjectCount: checkpoint.checkpoint.subjectCount,
            keyId: checkpoint.checkpoint.keyId,
          }
        : null,
      findings,
    };
  }

  /** The last checkpoint of the live log on the checkpoints topic, with its leaves. */
  latestCheckpoint(): Promise<ExportedCheckpoint | undefined> {
    return readLatestCheckpoint(
      this.deps.kafka,
      consentTopics(this.deps.config.kafka.topicPrefix).checkpoints,
      this.eventsTopic,
    );
  }

  private async checkpointFor(choice: CheckpointChoice): Promise<ExportedCheckpoint | undefined> {
    if (choice === 'none') return undefined;
    if (choice === 'latest') return this.latestCheckpoint();
    return choice;
  }

  /** Everything that shows what a person agreed to, when, under which notice, and who was told. */
  async proof(subjectId: string): Promise<ConsentProof> {
    const manager = this.deps.dataSource.manager;
    const stored = await this.audit.eventsOfSubject(manager, subjectId);
    const references = [
      ...new Map(
        stored.flatMap((event) =>
          event.notice
            ? [[`${event.notice.noticeId}\u0000${event.notice.version}`, event.notice] as const]
            : [],
        ),
      ).values(),
    ];
    const [notices, deliveries, usage] = await Promise.all([
      this.audit.notices(manager, references),
      this.audit.deliveriesOf(manager, subjectId),
      this.audit.usage(manager, { subjectId, limit: 10_000 }),
    ]);
    const noticeBy = new Map(notices.map((n) => [`${n.noticeId}\u0000${n.version}`, n]));
    let previousHash: string | null = null;
    let chainIntact = true;
    const events: ProofEvent[] = stored.map((event) => {
      const hash = hashConsentEvent(event);
      const linkIntact = event.previousEventHash === previousHash;
      chainIntact &&= linkIntact;
      previousHash = hash;
      const registered = event.notice
        ? noticeBy.get(`${event.notice.noticeId}\u0000${event.notice.version}`)
        : undefined;
      const { position, ...plain } = event;
      return {
        event: plain,
        position,
        hash,
        linkIntact,
        notice: !event.notice
          ? null
          : registered
            ? { ...registered, textMatches: sha256Hex(registered.text) === event.notice.textSha256 }
            : { registered: false as const },
      };
    });
    const now = new Date();
    const state = foldEvents(stored);
    return {
      subjectId,
      generatedAt: now.toISOString(),
      policyVersion: this.deps.consentPolicy.policy.version,
      chainIntact,
      current: this.rows(new Map([[subjectId, state]]), now),
      events,
      deliveries,
      usage,
    };
  }

  /** Every event recorded in [from, to), read from the log, in the order they were recorded. */
  async export(options: {
    from: Date;
    to: Date;
    topic?: string;
    onProgress?: (progress: LogReadProgress) => void;
  }): Promise<{ events: ExportedEvent[]; unreadable: readonly UnreadableRecord[] }> {
    const events: ExportedEvent[] = [];
    const unreadable: UnreadableRecord[] = [];
    const from = options.from.getTime();
    const to = options.to.getTime();
    await readEventLog<ConsentEvent>({
      kafka: this.deps.config.kafka,
      serde: this.deps.serde,
      topic: options.topic ?? this.eventsTopic,
      readerSchema: this.readerSchema,
      onEvents: (batch) => {
        for (const { event, partition, offset } of batch) {
          const recorded = event.recordedAt.getTime();
          if (recorded >= from && recorded < to) events.push({ ...event, partition, offset });
        }
      },
      onUnreadable: (record) => unreadable.push(record),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    events.sort(
      (a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || (a.eventId < b.eventId ? -1 : 1),
    );
    return { events, unreadable };
  }

  /** Which campaigns and training runs used a person's data (or who a campaign or job used). */
  usage(query: UsageQuery): Promise<UsageRow[]> {
    return this.audit.usage(this.deps.dataSource.manager, query);
  }
}
