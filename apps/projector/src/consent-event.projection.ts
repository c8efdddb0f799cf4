import { checkLinks, decisionChanges, evolve } from '@consent-ledger/consent-domain';
import type { SubjectConsentState } from '@consent-ledger/consent-domain';
import { AvroSerde, hashConsentEvent, publishDeadLetters } from '@consent-ledger/kafka';
import type { DeadLetter } from '@consent-ledger/kafka';
import {
  ConsentOutboxRepository,
  ConsentReadModelRepository,
  EXPECTED_ROWS_MISSED,
  isDataRefusal,
  ProjectionCheckpointRepository,
  runReads,
  runWrites,
} from '@consent-ledger/persistence';
import type { OutboxMessage, PositionedEvent, SqlWrite } from '@consent-ledger/persistence';
import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { brokenLinkLetter } from './broken-links';
import { StandingChanges } from './consent-standings';
import { planPartitions } from './partition-plan';
import type { BatchOutcome, PartitionBatch } from './partition-plan';
export type { BatchOutcome, PartitionBatch } from './partition-plan';
import type { ProjectionTarget } from './projection-target';
export type { ProjectionTarget } from './projection-target';
import { quarantineRefused, refusalOf } from './refused-events';
import type { Decoded } from './refused-events';
import {
  countBy,
  decisionMessages,
  decodeConsentRecord,
  withoutDuplicates,
} from './projected-records';

/** The projection's name in projection_checkpoint. */
export const CONSENT_PROJECTION = 'consent-read-model';

/** A fetch of at least this many records is a backlog: applied in several groups side by side. */
const BULK_RECORDS = 2_000;
/** Groups of partitions a backlog fetch is applied in, side by side (one per core, and one more). */
const BULK_WRITERS = 3;

/** Reads and writes again when another consumer moved a checkpoint meanwhile, this many times. */
const CHECKPOINT_MOVED_ATTEMPTS = 5;

/**
 * Folds consent events into the PostgreSQL read model. The batches of one fetch (every partition
 * it returned) are applied together in two round trips: one statement reads the checkpoints, the
 * events already applied and the subjects' states; one statement writes the history, the states,
 * the outbox and every partition's checkpoint, and writes nothing unless each checkpoint still
 * stands where it was read. Records at or below a checkpoint are skipped, so a crash anywhere
 * replays nothing twice. Records that cannot be decoded are dead-lettered (durably, before the
 * checkpoint moves past them) and the rest still apply.
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

  /**
   * Applies the batches (one per partition) together; returns each one's outcome, in order. A
   * large fetch (catching up on a backlog) is split into up to BULK_WRITERS groups of partitions
   * applied side by side, so that PostgreSQL works on more than one core.
   */
  async applyBatches(batches: readonly PartitionBatch[]): Promise<BatchOutcome[]> {
    const records = batches.reduce((sum, batch) => sum + batch.messages.length, 0);
    if (records < BULK_RECORDS || batches.length < 2) return this.applyGroup(batches);
    const groups = Math.min(BULK_WRITERS, batches.length);
    const indexes = batches.map((_batch, index) => index);
    const outcomes = await Promise.all(
      Array.from({ length: groups }, (_group, group) => {
        const members = indexes.filter((index) => index % groups === group);
        return this.applyGroup(members.map((index) => batches[index]!)).then((results) =>
          members.map((index, position) => [index, results[position]!] as const),
        );
      }),
    );
    return outcomes
      .flat()
      .sort(([a], [b]) => a - b)
      .map(([, outcome]) => outcome);
  }

  private async applyGroup(batches: readonly PartitionBatch[]): Promise<BatchOutcome[]> {
    let decoded = await Promise.all(
      batches.map(({ partition, messages }) =>
        Promise.all(
          messages.map((message) =>
            decodeConsentRecord(this.serde, this.target, partition, message),
          ),
        ),
      ),
    );
    // Dead letters already on the topic ('partition:offset'): a retry of the fetch does not send
    // them again.
    const published = new Set<string>();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.applyDecoded(batches, decoded, published);
      } catch (error) {
        if (isDataRefusal(error)) {
          // Some record in the fetch holds a value PostgreSQL refuses (NUL in a text, a key of
          // kilobytes): find it, dead-letter it, and apply the rest, instead of retrying forever.
          const found = await quarantineRefused(
            batches,
            decoded,
            this.target.eventsTopic,
            (entry) =>
              refusalOf(this.dataSource, this.readModel, entry, (entries, states) =>
                this.apply(entries, states),
              ),
          );
          if (found === undefined) throw error;
          decoded = found;
        } else if (!isCheckpointMoved(error) || attempt >= CHECKPOINT_MOVED_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  private async applyDecoded(
    batches: readonly PartitionBatch[],
    decoded: ReadonlyArray<readonly Decoded[]>,
    published: Set<string>,
  ): Promise<BatchOutcome[]> {
    const manager = this.dataSource.manager;
    const topic = this.target.eventsTopic;
    const events = decoded.flat().flatMap((item) => (item.kind === 'event' ? [item.entry] : []));
    const refused = decoded
      .flat()
      .flatMap((item) => (item.kind === 'poison' && item.refused ? [item.refused] : []));
    const subjects = [...new Set([...events, ...refused].map(({ event }) => event.subjectId))];
    const [offsetRows, appliedRows, subjectRows, choiceRows] = await runReads(manager, [
      this.checkpoints.nextOffsetsRead(
        topic,
        batches.map((batch) => batch.partition),
      ),
      this.readModel.alreadyAppliedRead(events.map(({ event }) => event)),
      ...this.readModel.statesReads(subjects),
    ]);
    const nextOffsets = this.checkpoints.nextOffsetsFrom(offsetRows!);
    const unknown = batches.map((batch) => batch.partition).filter((p) => !nextOffsets.has(p));
    if (unknown.length > 0) {
      await this.checkpoints.create(manager, topic, unknown);
      return this.applyDecoded(batches, decoded, published);
    }
    const plan = planPartitions(batches, decoded, nextOffsets, this.soughtGaps);
    const applied = this.readModel.appliedFrom(
      plan.fresh.map(({ event }) => event),
      appliedRows!,
    );
    const unapplied = new Set(withoutDuplicates(plan.fresh, applied));
    // Each event's link against its subject's head, in log order: a broken one is reported with
    // the reason, and a grant the chain cannot vouch for is held back. An event the database
    // refused is not applied but is still a link of its chain.
    const links = checkLinks(
      plan.chain.filter((entry) => unapplied.has(entry) || plan.refused.has(entry)),
      ({ event }) => event,
      hashConsentEvent,
      this.readModel.chainHeadsFrom(subjects, subjectRows!),
      (entry) => unapplied.has(entry),
    );
    const brokenLetters = links.broken.map((broken) =>
      brokenLinkLetter(batches, broken, this.target.eventsTopic),
    );
    const letterKey = (letter: DeadLetter) => `${letter.partition}:${letter.message.offset}`;
    const letters = [
      ...plan.outcomes.flatMap((outcome) => outcome.deadLettered),
      ...brokenLetters,
    ].filter((letter) => !published.has(letterKey(letter)));
    await publishDeadLetters(
      this.deadLetterProducer,
      this.target.deadLetterTopic,
      this.target.consumerGroup,
      letters,
    );
    letters.forEach((letter) => published.add(letterKey(letter)));
    const states = this.readModel.statesFrom(subjects, subjectRows!, choiceRows!);
    // The history, the states, the outbox and the checkpoints in one statement.
    await runWrites(manager, [
      ...this.apply(links.applied, states, links.heads),
      this.checkpoints.advanceWrite(topic, plan.moves),
    ]);
    const appliedIn = countBy(links.applied, ({ position }) => position.partition);
    const heldBackIn = countBy(
      links.broken.filter((broken) => !broken.applied),
      ({ entry }) => entry.position.partition,
    );
    const freshIn = countBy(plan.fresh, ({ position }) => position.partition);
    return plan.outcomes.map((outcome, index) => {
      const partition = batches[index]!.partition;
      if (outcome.seekTo !== undefined) return outcome;
      const appliedHere = appliedIn.get(partition) ?? 0;
      const heldBack = heldBackIn.get(partition) ?? 0;
      return {
        ...outcome,
        applied: appliedHere,
        duplicates: (freshIn.get(partition) ?? 0) - appliedHere - heldBack,
        deadLettered: [
          ...outcome.deadLettered,
          ...brokenLetters.filter((letter) => letter.partition === partition),
        ],
      };
    });
  }

  /** Folds the events into their subjects' states; returns the writes that store the outcome. */
  private apply(
    entries: readonly PositionedEvent[],
    states: Map<string, SubjectConsentState>,
    chainHeads: ReadonlyMap<string, string> = new Map(),
  ): Array<SqlWrite | undefined> {
    if (entries.length === 0 && chainHeads.size === 0) return [];
    const counts = new Map<string, number>();
    const changed = new Map<string, SubjectConsentState>();
    const messages: OutboxMessage[] = [];
    const standings =
      this.target.countsStandings === false
        ? undefined
        : new StandingChanges(this.target.consentPolicy);
    for (const entry of entries) {
      const { event } = entry;
      const before = states.get(event.subjectId)!;
      const after = evolve(before, event);
      states.set(event.subjectId, after);
      changed.set(event.subjectId, after);
      standings?.add(before, after, entry);
      counts.set(event.subjectId, (counts.get(event.subjectId) ?? 0) + 1);
      for (const change of decisionChanges(before, after, event, this.target.consentPolicy)) {
        messages.push(...decisionMessages(change, entry, this.target));
      }
    }
    // A subject whose chain moved through events that were not applied keeps its new head.
    for (const subjectId of chainHeads.keys()) {
      if (!changed.has(subjectId)) changed.set(subjectId, states.get(subjectId)!);
    }
    return [
      this.readModel.insertEventsWrite(entries),
      ...this.readModel.saveStatesWrites(changed, counts, chainHeads),
      this.outbox.addWrite(messages),
      ...(standings?.writes() ?? []),
    ];
  }
}

/** Another consumer moved a checkpoint between this one's read and its write: nothing was written. */
function isCheckpointMoved(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === EXPECTED_ROWS_MISSED;
}
