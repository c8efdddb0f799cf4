import { ChainVerifier } from './chain-verification';
import type { LoggedEvent } from './chain-verification';
import { fixtureEvent } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { canonicalEventText } from './event-chain';

/** The canonical text is unique per event: a stand-in for SHA-256 in pure tests. */
const hash = (event: ConsentEvent) => canonicalEventText(event);

/** A subject's chain of `length` events, linked as the API links them. */
function chain(subjectId: string, length: number): ConsentEvent[] {
  const events: ConsentEvent[] = [];
  for (let i = 0; i < length; i += 1) {
    const previous = events[i - 1];
    events.push(fixtureEvent({ subjectId, previousEventHash: previous ? hash(previous) : null }));
  }
  return events;
}

function verify(events: readonly ConsentEvent[]) {
  const verifier = new ChainVerifier(hash);
  events.forEach((event, index) =>
    verifier.add({ event, partition: 0, offset: String(index) } satisfies LoggedEvent),
  );
  return verifier.result().map(({ kind, offset, subjectId }) => ({ kind, offset, subjectId }));
}

describe('ChainVerifier', () => {
  it('finds nothing wrong with intact, interleaved chains', () => {
    const a = chain('a', 4);
    const b = chain('b', 3);
    expect(verify([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, a[3]!, b[2]!])).toEqual([]);
  });

  it('reports a broken link at the event after an altered one', () => {
    const events = chain('a', 4);
    events[1] = { ...events[1]!, action: 'WITHDRAW' };
    expect(verify(events)).toEqual([{ kind: 'BROKEN_LINK', offset: '2', subjectId: 'a' }]);
  });

  it('reports a broken link where an event was dropped', () => {
    const events = chain('a', 4);
    events.splice(2, 1);
    expect(verify(events)).toEqual([{ kind: 'BROKEN_LINK', offset: '2', subjectId: 'a' }]);
  });

  it('reports a dropped first event at the new first event', () => {
    const events = chain('a', 3).slice(1);
    expect(verify(events)).toEqual([{ kind: 'BROKEN_LINK', offset: '0', subjectId: 'a' }]);
  });

  it('reports swapped events as out of order, at both and at the event after them', () => {
    const events = chain('a', 4);
    [events[1], events[2]] = [events[2]!, events[1]!];
    // Offset 3 links to the event now at offset 1, not to the one just before it.
    expect(verify(events)).toEqual([
      { kind: 'OUT_OF_ORDER', offset: '1', subjectId: 'a' },
      { kind: 'OUT_OF_ORDER', offset: '2', subjectId: 'a' },
      { kind: 'OUT_OF_ORDER', offset: '3', subjectId: 'a' },
    ]);
  });

  it('reports an event that restarts the chain and an event id repeated with other content', () => {
    const events = chain('a', 2);
    const restart = fixtureEvent({ subjectId: 'a', previousEventHash: null });
    const altered = { ...events[1]!, action: 'WITHDRAW' as const };
    expect(verify([...events, restart, altered])).toEqual([
      { kind: 'UNEXPECTED_GENESIS', offset: '2', subjectId: 'a' },
      { kind: 'DUPLICATE_EVENT', offset: '3', subjectId: 'a' },
      { kind: 'OUT_OF_ORDER', offset: '3', subjectId: 'a' },
    ]);
  });

  it('takes the very same event sent again, anywhere after it, as one event', () => {
    const events = chain('a', 3);
    const verifier = new ChainVerifier(hash);
    [events[0]!, events[1]!, events[1]!, events[2]!, events[1]!].forEach((event, index) =>
      verifier.add({ event, partition: 0, offset: String(index) }),
    );
    expect(verifier.result()).toEqual([]);
    expect(verifier.exactRepeatCount).toBe(2);
    expect(verifier.eventCount).toBe(3);
    expect(verifier.heads().get('a')).toBe(hash(events[2]!));
  });

  it("keeps each subject's last hash", () => {
    const events = chain('a', 3);
    const verifier = new ChainVerifier(hash);
    events.forEach((event, index) => verifier.add({ event, partition: 2, offset: String(index) }));
    expect(verifier.heads().get('a')).toBe(hash(events[2]!));
    expect(verifier.eventCount).toBe(3);
  });

  describe('against a checkpoint of the heads', () => {
    /** The verifier after reading `events` as partition 0, offsets 0.. in order. */
    const read = (events: readonly ConsentEvent[]) => {
      const verifier = new ChainVerifier(hash);
      events.forEach((event, index) =>
        verifier.add({ event, partition: 0, offset: String(index) }),
      );
      return verifier;
    };
    const findings = (
      events: readonly ConsentEvent[],
      heads: ReadonlyArray<readonly [string, ConsentEvent]>,
      frontier: string,
    ) =>
      read(events)
        .checkpointFindings(
          heads.map(([subjectId, event]) => ({ subjectId, headHash: hash(event) })),
          { '0': frontier },
        )
        .map(({ kind, subjectId, offset }) => ({ kind, subjectId, offset }));

    it('finds nothing when the heads below the frontier are the checkpointed ones, and later events are past it', () => {
      const a = chain('a', 3);
      const b = chain('b', 2);
      // Checkpoint taken after a[1] and b[1]; a[2] was written after it.
      expect(
        findings(
          [a[0]!, b[0]!, a[1]!, b[1]!, a[2]!],
          [
            ['a', a[1]!],
            ['b', b[1]!],
          ],
          '4',
        ),
      ).toEqual([]);
    });

    it("catches a subject's last event deleted: the checkpointed head is no event of the log", () => {
      const a = chain('a', 3);
      expect(findings(a.slice(0, 2), [['a', a[2]!]], '3')).toEqual([
        { kind: 'CHECKPOINT_HEAD_MISSING', subjectId: 'a', offset: '1' },
      ]);
    });

    it('catches a forged, correctly linked event appended before the checkpoint', () => {
      const a = chain('a', 2);
      const forged = fixtureEvent({
        subjectId: 'a',
        action: 'WITHDRAW',
        previousEventHash: hash(a[1]!),
      });
      const log = [...a, forged];
      expect(read(log).result()).toEqual([]);
      expect(findings(log, [['a', a[1]!]], '3')).toEqual([
        { kind: 'CHECKPOINT_UNRECORDED', subjectId: 'a', offset: '2' },
      ]);
      // A subject the API never wrote to.
      const stranger = fixtureEvent({ subjectId: 'z' });
      expect(findings([...a, stranger], [['a', a[1]!]], '3')).toEqual([
        { kind: 'CHECKPOINT_UNRECORDED', subjectId: 'z', offset: '2' },
      ]);
    });
  });
});
