import type { ConsentEvent } from './consent-event';

/**
 * What a consumer knows of a subject's chain before the next event: the hash of the last event
 * it applied, null when it has applied none (the next must be the subject's first), or undefined
 * when it applied some before it kept hashes (the next link is taken as it comes).
 */
export type KnownChainHead = string | null | undefined;

/** An event whose link is not the subject's head, and what was done with it. */
export interface BrokenLink<T> {
  readonly entry: T;
  /** The link the event should have carried: the hash of the subject's last applied event. */
  readonly expected: string | null;
  /**
   * True for a withdrawal or an expiry: it only restricts, so it is applied (a person who
   * withdrew is never kept on the list for a broken link). A grant is held back: nothing the
   * chain cannot vouch for may open access.
   */
  readonly applied: boolean;
}

export interface LinkCheck<T> {
  /** The entries to apply, in their order. */
  readonly applied: T[];
  readonly broken: BrokenLink<T>[];
  /** Each subject's head after the applied entries. */
  readonly heads: Map<string, string>;
}

/**
 * Checks each event's link against its subject's head on the way in, in log order. The head
 * moves to each event whose link is intact; a broken one leaves it where it was, so the genuine
 * next event (linked to the last genuine one) still applies. An entry `appliesOf` says is not to be
 * applied (an event the database refused) still moves the head when its own link is intact,
 * since the events after it link to it. Pure: the hash is given.
 */
export function checkLinks<T>(
  entries: readonly T[],
  eventOf: (entry: T) => ConsentEvent,
  hashOf: (event: ConsentEvent) => string,
  knownHeads: ReadonlyMap<string, KnownChainHead>,
  appliesOf: (entry: T) => boolean = () => true,
): LinkCheck<T> {
  const current = new Map<string, KnownChainHead>(knownHeads);
  const applied: T[] = [];
  const broken: BrokenLink<T>[] = [];
  const heads = new Map<string, string>();
  for (const entry of entries) {
    const event = eventOf(entry);
    const head = current.get(event.subjectId);
    const intact = head === undefined || event.previousEventHash === head;
    const applies = appliesOf(entry);
    if (!applies) {
      if (intact) {
        const hash = hashOf(event);
        current.set(event.subjectId, hash);
        heads.set(event.subjectId, hash);
      }
      continue;
    }
    if (!intact) {
      // The head stays at the last intact event either way: the writer links its next event
      // there, and a forged withdrawal must not become a link a forged grant could chain to.
      const restricts = event.action !== 'GRANT';
      broken.push({ entry, expected: head, applied: restricts });
      if (restricts) applied.push(entry);
      continue;
    }
    applied.push(entry);
    const hash = hashOf(event);
    current.set(event.subjectId, hash);
    heads.set(event.subjectId, hash);
  }
  return { applied, broken, heads };
}
