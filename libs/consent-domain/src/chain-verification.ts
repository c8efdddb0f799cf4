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
 * - `DUPLICATE_EVENT`: the same event id appears twice in the log.
 */
export type ChainFindingKind =
  'BROKEN_LINK' | 'OUT_OF_ORDER' | 'UNEXPECTED_GENESIS' | 'DUPLICATE_EVENT';

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
  readonly seen: Map<string, LogLocation>;
}

const at = (location: LogLocation) => `partition ${location.partition} offset ${location.offset}`;

/**
 * Checks every subject's hash chain while the log streams past, one event at a time, in log
 * order (one subject's events share a partition, so their log order is their chain order). Pure:
 * the hash function is given.
 */
export class ChainVerifier {
  private readonly chains = new Map<string, SubjectChain>();
  private readonly eventIds = new Map<string, LogLocation>();
  /** Links to a hash not seen yet, by that hash: resolved to OUT_OF_ORDER if it turns up later. */
  private readonly unresolved = new Map<string, ChainFinding[]>();
  private readonly findings: ChainFinding[] = [];
  private checked = 0;

  constructor(private readonly hash: (event: ConsentEvent) => string) {}

  /** Checks the next event of the log; returns its hash (the link its successor should carry). */
  add({ event, partition, offset }: LoggedEvent): string {
    this.checked += 1;
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
    const firstSeen = this.eventIds.get(event.eventId);
    if (firstSeen) {
      report('DUPLICATE_EVENT', `event id already at ${at(firstSeen)}`);
    } else {
      this.eventIds.set(event.eventId, location);
    }
    const ownHash = this.hash(event);
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
    if (chain) {
      chain.lastHash = ownHash;
      chain.lastLocation = location;
      chain.seen.set(ownHash, location);
    } else {
      this.chains.set(event.subjectId, {
        lastHash: ownHash,
        lastLocation: location,
        seen: new Map([[ownHash, location]]),
      });
    }
    return ownHash;
  }

  /** Events checked so far. */
  get eventCount(): number {
    return this.checked;
  }

  /** The last hash of each subject's chain, as the log holds it. */
  heads(): ReadonlyMap<string, string> {
    return new Map([...this.chains].map(([subject, chain]) => [subject, chain.lastHash]));
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
