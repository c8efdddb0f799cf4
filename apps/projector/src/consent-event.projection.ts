import type { LoadedConsentPolicy } from '@consent-ledger/config';
import {
  decisionChanges,
  evolve,
  type ConsentEvent,
  type DecisionChange,
  type SubjectConsentState,
} from '@consent-ledger/consent-domain';
import {
  AvroSerde,
  NonRetriableError,
  publishDeadLetters,
  type DeadLetter,
} from '@consent-ledger/kafka';
import {
  ConsentOutboxRepository,
  ConsentReadModelRepository,
  type OutboxMessage,
  ProjectionCheckpointRepository,
  runWrites,
  type PositionedEvent,
  type SqlWrite,
} from '@consent-ledger/persistence';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';

/** The projection's name in projection_checkpoint. */
export const CONSENT_PROJECTION = 'consent-read-model';

export interface BatchOutcome {
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: DeadLetter[];
  /** Records at or below the checkpoint (already applied before a crash or rebalance). */
  readonly skipped: number;
  /**
   * Set when the batch starts after the checkpoint (the group's committed offset is ahead of the
   * read model, e.g. after a database restore): nothing was applied; seek here and read again.
   */
  readonly seekTo?: string;
}

type Decoded =
  | { readonly kind: 'event'; readonly entry: PositionedEvent }
  | { readonly kind: 'poison'; readonly letter: DeadLetter };

export interface ProjectionTarget {
  /** Taxonomy and policy: decision changes are published when an event changes a decision. */
  readonly consentPolicy: LoadedConsentPolicy;
  readonly stateTopic: string;
  readonly suppressionTopic: (purpose: string) => string;
  /** The latest local version of the consent event schema: every event is read in its shape. */
  readonly readerSchema: string;
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly consumerGroup: string;
}

/**
 * Folds consent events into the PostgreSQL read model. Each batch of one partition is applied in
 * one transaction together with the partition's checkpoint: records at or below the checkpoint
 * are skipped, so a crash anywhere replays nothing twice. Records that cannot be decoded are
 * dead-lettered (durably, before the checkpoint moves past them) and the rest still apply.
 */
export class ConsentEventProjection {
  private readonly readModel = new ConsentReadModelRepository();
  private readonly checkpoints = new ProjectionCheckpointRepository(CONSENT_PROJECTION);
  private readonly outbox = new ConsentOutboxRepository();
  /** Gaps already sought once: if the broker still starts after them, the offsets do not exist. */
  private readonly soughtGaps = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly serde: AvroSerde,
    private readonly deadLetterProducer: Producer,
    private readonly target: ProjectionTarget,
  ) {}

  async applyBatch(partition: number, messages: readonly KafkaMessage[]): Promise<BatchOutcome> {
    if (messages.length === 0) return { applied: 0, duplicates: 0, deadLettered: [], skipped: 0 };
    const decoded = await Promise.all(messages.map((message) => this.decode(partition, message)));
    const lastOffset = BigInt(messages[messages.length - 1]!.offset);
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const nextOffset = await this.checkpoints.lockNextOffset(
        manager,
        this.target.eventsTopic,
        partition,
      );
      const firstOffset = BigInt(messages[0]!.offset);
      const gap = `${partition}:${nextOffset}`;
      if (firstOffset > nextOffset && !this.soughtGaps.has(gap)) {
        this.soughtGaps.add(gap);
        return {
          applied: 0,
          duplicates: 0,
          deadLettered: [],
          skipped: 0,
          seekTo: nextOffset.toString(),
        };
      }
      const fresh = decoded.filter(
        (item) =>
          BigInt(item.kind === 'event' ? item.entry.position.offset : item.letter.message.offset) >=
          nextOffset,
      );
      const letters = fresh.flatMap((item) => (item.kind === 'poison' ? [item.letter] : []));
      await publishDeadLetters(
        this.deadLetterProducer,
        this.target.deadLetterTopic,
        this.target.consumerGroup,
        letters,
      );

      const candidates = fresh.flatMap((item) => (item.kind === 'event' ? [item.entry] : []));
      const toApply = await this.withoutDuplicates(manager, candidates);
      // The history, the states, the outbox and the checkpoint in one statement.
      await runWrites(manager, [
        ...(await this.apply(manager, toApply)),
        lastOffset + 1n > nextOffset
          ? this.checkpoints.advanceWrite(this.target.eventsTopic, partition, lastOffset + 1n)
          : undefined,
      ]);
      return {
        applied: toApply.length,
        duplicates: candidates.length - toApply.length,
        deadLettered: letters,
        skipped: decoded.length - fresh.length,
      };
    });
  }

  private async decode(partition: number, message: KafkaMessage): Promise<Decoded> {
    const poison = (error: NonRetriableError): Decoded => ({
      kind: 'poison',
      letter: { message, sourceTopic: this.target.eventsTopic, partition, error },
    });
    let event: ConsentEvent;
    try {
      event = await this.serde.decode<ConsentEvent>(message.value, this.target.readerSchema);
    } catch (error) {
      if (error instanceof NonRetriableError) return poison(error);
      throw error;
    }
    if (message.key?.toString() !== event.subjectId) {
      return poison(
        new NonRetriableError(
          'RECORD.KEY_MISMATCH',
          `record key '${message.key?.toString() ?? ''}' is not the event's subject id '${event.subjectId}'`,
        ),
      );
    }
    return {
      kind: 'event',
      entry: {
        event,
        position: { topic: this.target.eventsTopic, partition, offset: message.offset },
      },
    };
  }

  /** Drops events the read model holds already, or that repeat one earlier in the batch. */
  private async withoutDuplicates(
    manager: EntityManager,
    entries: readonly PositionedEvent[],
  ): Promise<PositionedEvent[]> {
    const applied = await this.readModel.alreadyApplied(
      manager,
      entries.map((entry) => entry.event),
    );
    const seen = new Set<string>();
    return entries.filter(({ event }) => {
      const keys = [`id:${event.eventId}`, `key:${event.subjectId}\u0000${event.idempotencyKey}`];
      if (applied.has(event.eventId) || keys.some((key) => seen.has(key))) return false;
      keys.forEach((key) => seen.add(key));
      return true;
    });
  }

  /** Folds the events into their subjects' states; returns the writes that store the outcome. */
  private async apply(
    manager: EntityManager,
    entries: readonly PositionedEvent[],
  ): Promise<Array<SqlWrite | undefined>> {
    if (entries.length === 0) return [];
    const subjects = [...new Set(entries.map(({ event }) => event.subjectId))];
    const states: Map<string, SubjectConsentState> = await this.readModel.loadStates(
      manager,
      subjects,
    );
    const counts = new Map<string, number>();
    const messages: OutboxMessage[] = [];
    for (const entry of entries) {
      const { event } = entry;
      const before = states.get(event.subjectId)!;
      const after = evolve(before, event);
      states.set(event.subjectId, after);
      counts.set(event.subjectId, (counts.get(event.subjectId) ?? 0) + 1);
      for (const change of decisionChanges(before, after, event, this.target.consentPolicy)) {
        messages.push(...this.decisionMessages(change, entry));
      }
    }
    return [
      this.readModel.insertEventsWrite(entries),
      ...this.readModel.saveStatesWrites(states, counts),
      this.outbox.addWrite(messages),
    ];
  }

  /** The state-topic update, and the suppression update when downstream systems must act. */
  private decisionMessages(
    change: DecisionChange,
    { event, position }: PositionedEvent,
  ): OutboxMessage[] {
    const decision = change.after;
    const payload = {
      subjectId: event.subjectId,
      purpose: decision.purpose,
      allowed: decision.allowed,
      reason: decision.reason,
      basis: decision.basis,
      regime: decision.regime,
      decidedBy: decision.decidedBy,
      causeEventId: event.eventId,
      effectiveAt: event.occurredAt.getTime(),
      causeRecordedAt: event.recordedAt.getTime(),
      policyVersion: this.target.consentPolicy.policy.version,
      sourceTopic: position.topic,
      sourcePartition: position.partition,
      sourceOffset: Number(position.offset),
    };
    const state = {
      topic: this.target.stateTopic,
      key: `${event.subjectId}|${decision.purpose}`,
      payload,
    };
    return change.suppressionChanged
      ? [
          state,
          { topic: this.target.suppressionTopic(decision.purpose), key: event.subjectId, payload },
        ]
      : [state];
  }
}
