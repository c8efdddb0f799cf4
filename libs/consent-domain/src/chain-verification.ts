import type { ConsentEvent } from './consent-event';

/** Where an event was read from: a partition and offset of the events topic. */
export interface LogLocation {
  readonly partition: number;
  readonly offset: string;
}

export interface LoggedEvent extends LogLocation {
  readonly event: ConsentEvent;
}

/**
 * What is wrong with a subject's chain at one event:
 * - `BROKEN_LINK`: the event links to a hash that no earlier event of the subject has. The event
 *   before it was altered, or events between them are missing.
 * - `OUT_OF_ORDER`: the event links to an earlier event that is not the one just before it, or
 *   its predecessor appears later in the log: events were reordered or one was inserted.
 * - `UNEXPECTED_GENESIS`: the event claims to be the subject's first but is not.
 * - `DUPLICATE_EVENT`: the same event id appears twice in the log with different content. (The
 *   very same event twice is one event sent again after Kafka acknowledged it late: no finding.)
 */
export type ChainFindingKind =
  'BROKEN_LINK' | 'OUT_OF_ORDER' | 'UNEXPECTED_GENESIS' | 'DUPLICATE_EVENT';

/**
 * What is wrong with the log measured against a signed checkpoint of the chain heads:
 * - `CHECKPOINT_HEAD_MISSING`: the head the checkpoint holds for a subject is no event of the log:
 *   the subject's last event as of the checkpoint was deleted or altered.
 * - `CHECKPOINT_UNRECORDED`: an event lies below the checkpoint's frontier, yet after the head
 *   the API had recorded for its subject (or the API had recorded none): the API did not write
 *   it. A forged event, even one correctly linked, is caught here.
 */
export type CheckpointFindingKind = 'CHECKPOINT_HEAD_MISSING' | 'CHECKPOINT_UNRECORDED';

export interface CheckpointFinding {
  readonly kind: CheckpointFindingKind;
  readonly subjectId: string;
  readonly eventId: string | null;
  /** Where the subject's last event below the frontier is, when it has one. */
  readonly partition: number | null;
  readonly offset: string | null;
  readonly detail: string;
}

export interface ChainFinding extends LogLocation {
  readonly kind: ChainFindingKind;
  readonly subjectId: string;
  readonly eventId: string;
  readonly detail: string;
}

interface SubjectChain {
  lastHash: string;
  lastLocation: LogLocation;
  /** Hash of every event of the subject seen so far, and where it was. */
  readonly seen: Map<string, SeenEvent>;
}

interface SeenEvent extends LogLocation {
  readonly eventId: string;
}

/** A subject's head as a signed checkpoint holds it. */
export interface CheckpointedHead {
  readonly subjectId: string;
  readonly headHash: string;
}

/** An event below a checkpoint's frontier that the API's heads do not account for. */
const unrecorded = (subjectId: string, last: SeenEvent, why: string): CheckpointFinding => ({
  kind: 'CHECKPOINT_UNRECORDED',
  subjectId,
  eventId: last.eventId,
  partition: last.partition,
  offset: last.offset,
  detail: `in the log before the checkpoint was taken, yet ${why}: the API did not write it`,
});

const at = (location: LogLocation) => `partition ${location.partition} offset ${location.offset}`;

/**
 * Checks every subject's hash chain while the log streams past, one event at a time, in log
 * order (one subject's events share a partition, so their log order is their chain order). Pure:
 * the hash function is given.
 */
export class ChainVerifier {
  private readonly chains = new Map<string, SubjectChain>();
  /** Where each event id was first seen, and the hash of what it held there. */
  private readonly eventIds = new Map<string, LogLocation & { readonly hash: string }>();
  private exactRepeats = 0;
  /** Links to a hash not seen yet, by that hash: resolved to OUT_OF_ORDER if it turns up later. */
  private readonly unresolved = new Map<string, ChainFinding[]>();
  private readonly findings: ChainFinding[] = [];
  private checked = 0;

  constructor(private readonly hash: (event: ConsentEvent) => string) {}

  /** Checks the next event of the log; returns its hash (the link its successor should carry). */
  add({ event, partition, offset }: LoggedEvent): string {
    const location = { partition, offset };
    const report = (kind: ChainFindingKind, detail: string): ChainFinding => {
      const finding = {
        kind,
        subjectId: event.subjectId,
        eventId: event.eventId,
        partition,
        offset,
        detail,
      };
      this.findings.push(finding);
      return finding;
    };
    const ownHash = this.hash(event);
    const firstSeen = this.eventIds.get(event.eventId);
    if (!(firstSeen && firstSeen.hash === ownHash)) this.checked += 1;
    if (firstSeen) {
      // The very same event sent again (a write Kafka acknowledged late, then re-sent): one event.
      if (firstSeen.hash === ownHash) {
        this.exactRepeats += 1;
        return ownHash;
      }
      report('DUPLICATE_EVENT', `event id already at ${at(firstSeen)}, with other content`);
    } else {
      this.eventIds.set(event.eventId, { ...location, hash: ownHash });
    }
    const chain = this.chains.get(event.subjectId);
    const link = event.previousEventHash;
    if (!chain) {
      if (link !== null) {
        const finding = report(
          'BROKEN_LINK',
          `first event of the subject in the log, but it links to ${link.slice(0, 12)}…: an earlier event is missing or was altered`,
        );
        this.awaitHash(link, finding);
      }
    } else if (link !== chain.lastHash) {
      if (link === null) {
        report(
          'UNEXPECTED_GENESIS',
          `claims to be the subject's first event, but ${at(chain.lastLocation)} came before it`,
        );
      } else if (chain.seen.has(link)) {
        report(
          'OUT_OF_ORDER',
          `links to the event at ${at(chain.seen.get(link)!)}, not to the one just before it at ${at(chain.lastLocation)}`,
        );
      } else {
        const finding = report(
          'BROKEN_LINK',
          `links to ${link.slice(0, 12)}…, which no earlier event of the subject has: the event at ${at(chain.lastLocation)} was altered, or events after it are missing`,
        );
        this.awaitHash(link, finding);
      }
    }
    this.resolve(ownHash, location);
    const seen = { ...location, eventId: event.eventId };
    if (chain) {
      chain.lastHash = ownHash;
      chain.lastLocation = location;
      chain.seen.set(ownHash, seen);
    } else {
      this.chains.set(event.subjectId, {
        lastHash: ownHash,
        lastLocation: location,
        seen: new Map([[ownHash, seen]]),
      });
    }
    return ownHash;
  }

  /** Events checked so far (an exact repeat of one is not another: see {@link exactRepeatCount}). */
  get eventCount(): number {
    return this.checked;
  }

  /** Records that repeated an earlier event exactly (same id, same content): counted once. */
  get exactRepeatCount(): number {
    return this.exactRepeats;
  }

  /** The last hash of each subject's chain, as the log holds it. */
  heads(): ReadonlyMap<string, string> {
    return new Map([...this.chains].map(([subject, chain]) => [subject, chain.lastHash]));
  }

  /**
   * The log measured against a checkpoint (whose signature and leaves were checked): each
   * checkpointed head must be an event of the log, and no event below the frontier (per
   * partition, the offset after the last event covered) may follow its subject's checkpointed
   * head, or belong to a subject the checkpoint does not hold.
   */
  checkpointFindings(
    heads: readonly CheckpointedHead[],
    frontier: Readonly<Record<string, string>>,
  ): CheckpointFinding[] {
    const findings: CheckpointFinding[] = [];
    const covered = (location: LogLocation) =>
      BigInt(location.offset) < BigInt(frontier[String(location.partition)] ?? '0');
    const lastCovered = (chain: SubjectChain | undefined): SeenEvent | undefined => {
      let last: SeenEvent | undefined;
      for (const seen of chain?.seen.values() ?? []) {
        if (covered(seen) && (!last || BigInt(seen.offset) > BigInt(last.offset))) last = seen;
      }
      return last;
    };
    const checkpointed = new Set<string>();
    for (const { subjectId, headHash } of heads) {
      checkpointed.add(subjectId);
      const chain = this.chains.get(subjectId);
      const head = chain?.seen.get(headHash);
      const last = lastCovered(chain);
      if (!head) {
        findings.push({
          kind: 'CHECKPOINT_HEAD_MISSING',
          subjectId,
          eventId: null,
          partition: last?.partition ?? null,
          offset: last?.offset ?? null,
          detail: `the checkpoint's head for this subject (${headHash.slice(0, 12)}…) is no event of the log: its last event as of the checkpoint was deleted or altered`,
        });
      } else if (last && BigInt(last.offset) > BigInt(head.offset)) {
        findings.push(
          unrecorded(
            subjectId,
            last,
            `after the head the API recorded for the subject (${at(head)})`,
          ),
        );
      }
    }
    for (const [subjectId, chain] of this.chains) {
      if (checkpointed.has(subjectId)) continue;
      const last = lastCovered(chain);
      if (last)
        findings.push(unrecorded(subjectId, last, 'the API had recorded no event of this subject'));
    }
    return findings;
  }

  /** Every finding, in the order the log showed them. */
  result(): readonly ChainFinding[] {
    return this.findings;
  }

  private awaitHash(hash: string, finding: ChainFinding): void {
    const waiting = this.unresolved.get(hash);
    if (waiting) waiting.push(finding);
    else this.unresolved.set(hash, [finding]);
  }

  /** A link that pointed ahead is a reordering, not a missing event: say so. */
  private resolve(hash: string, location: LogLocation): void {
    const waiting = this.unresolved.get(hash);
    if (!waiting) return;
    this.unresolved.delete(hash);
    for (const finding of waiting) {
      const index = this.findings.indexOf(finding);
      this.findings[index] = {
        ...finding,
        kind: 'OUT_OF_ORDER',
        detail: `links to the event at ${at(location)}, which comes after it in the log`,
      };
    }
  }
}
