import { createHash } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import {
  dailyTallyChanges,
  evolve,
  initialState,
  standingBasisOf,
  standingCountChanges,
} from '@consent-ledger/consent-domain';
import type { StandingContext, SubjectConsentState } from '@consent-ledger/consent-domain';
import { ConsentStandingWrites } from '@consent-ledger/persistence';
import type {
  CountHistories,
  PositionedEvent,
  ShardedCountChange,
  ShardedTallyChange,
  SqlWrite,
  SubjectStanding,
} from '@consent-ledger/persistence';

const writes = new ConsentStandingWrites();

/**
 * What the events of one batch do to the compliance dashboard's projection: each subject's
 * standing per consent-based purpose (the latest of the batch), the counters' changes and the
 * daily tallies', on the shard of the partition the event came from. Never asked is not stored
 * per subject: it is every known subject without a row.
 */
export class StandingChanges {
  private readonly counts: ShardedCountChange[] = [];
  private readonly tallies: ShardedTallyChange[] = [];
  private readonly standings = new Map<string, SubjectStanding>();

  constructor(private readonly context: StandingContext) {}

  /** Notes what one event folded from `before` to `after` changed. */
  add(before: SubjectConsentState, after: SubjectConsentState, entry: PositionedEvent): void {
    const changes = standingCountChanges(before, after, this.context);
    if (changes.length === 0) return;
    const { event, position } = entry;
    const shard = position.partition;
    for (const change of changes) this.counts.push({ ...change, shard });
    for (const tally of dailyTallyChanges(changes, event.occurredAt))
      this.tallies.push({ ...tally, shard });
    for (const change of changes) {
      if (change.delta !== 1 || change.standing === 'NEVER_ASKED') continue;
      this.standings.set(`${event.subjectId}\u0000${change.purpose}`, {
        subjectId: event.subjectId,
        purpose: change.purpose,
        standing: change.standing,
        jurisdiction: change.jurisdiction,
        since: event.occurredAt,
      });
    }
  }

  /** The statements that store the changes (none when nothing changed). */
  writes(): Array<SqlWrite | undefined> {
    return [
      writes.standingsWrite([...this.standings.values()]),
      writes.countsWrite(this.counts),
      writes.talliesWrite(this.tallies),
    ];
  }
}

/**
 * Counts the standings again from the read model when the taxonomy or the notice minimums changed
 * since they were counted (or they never were): run before the projector consumes.
 */
export async function recountStandingsWhenStale(
  recount: (
    fingerprint: string,
    countHistories: CountHistories,
    onProgress: (subjects: number) => void,
  ) => Promise<number | undefined>,
  context: StandingContext,
  logger: Pick<Logger, 'log'>,
): Promise<void> {
  const fingerprint = createHash('sha256').update(standingBasisOf(context)).digest('hex');
  const started = Date.now();
  const counted = await recount(
    fingerprint,
    (histories) => {
      const changes = new StandingChanges(context);
      for (const history of histories) {
        let state = initialState();
        for (const entry of history) {
          const after = evolve(state, entry.event);
          changes.add(state, after, entry);
          state = after;
        }
      }
      return changes.writes();
    },
    (subjects) => {
      if (subjects % 100_000 === 0) logger.log(`counting standings: ${subjects} subjects so far`);
    },
  );
  if (counted !== undefined)
    logger.log(
      `counted the standings of ${counted} subjects under the current taxonomy and notice minimums in ${Date.now() - started} ms`,
    );
}
