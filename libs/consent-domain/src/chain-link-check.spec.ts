import { checkLinks } from './chain-link-check';
import type { KnownChainHead } from './chain-link-check';
import { fixtureEvent } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { canonicalEventText } from './event-chain';

/** The canonical text is unique per event: a stand-in for SHA-256 in pure tests. */
const hash = (event: ConsentEvent) => canonicalEventText(event);
const check = (events: ConsentEvent[], heads: Array<[string, KnownChainHead]> = []) =>
  checkLinks(events, (event) => event, hash, new Map(heads));

describe('checkLinks', () => {
  it('applies a chain that starts at the genesis and links each event to the one before', () => {
    const first = fixtureEvent({ subjectId: 'a' });
    const second = fixtureEvent({ subjectId: 'a', previousEventHash: hash(first) });
    const result = check([first, second], [['a', null]]);
    expect(result.applied).toEqual([first, second]);
    expect(result.broken).toEqual([]);
    expect(result.heads.get('a')).toBe(hash(second));
  });

  it('holds back a grant whose link is not the head, and applies the genuine event after it', () => {
    const genuine = fixtureEvent({ subjectId: 'a' });
    const forged = fixtureEvent({ subjectId: 'a', previousEventHash: 'f'.repeat(64) });
    const next = fixtureEvent({ subjectId: 'a', previousEventHash: hash(genuine) });
    const result = check([genuine, forged, next], [['a', null]]);
    expect(result.applied).toEqual([genuine, next]);
    expect(result.broken).toEqual([{ entry: forged, expected: hash(genuine), applied: false }]);
  });

  it('applies a withdrawal with a broken link, since it only restricts, without moving the head', () => {
    const withdrawal = fixtureEvent({
      subjectId: 'a',
      action: 'WITHDRAW',
      previousEventHash: 'f'.repeat(64),
    });
    const genuine = fixtureEvent({ subjectId: 'a', previousEventHash: 'e'.repeat(64) });
    const chainedToForgery = fixtureEvent({ subjectId: 'a', previousEventHash: hash(withdrawal) });
    const result = check([withdrawal, genuine, chainedToForgery], [['a', 'e'.repeat(64)]]);
    expect(result.applied).toEqual([withdrawal, genuine]);
    expect(result.broken).toEqual([
      { entry: withdrawal, expected: 'e'.repeat(64), applied: true },
      // A grant linked to the applied withdrawal is not let in through it.
      { entry: chainedToForgery, expected: hash(genuine), applied: false },
    ]);
  });

  it("refuses a second genesis: a subject's first event is only first once", () => {
    const first = fixtureEvent({ subjectId: 'a' });
    const again = fixtureEvent({ subjectId: 'a' });
    expect(check([first, again], [['a', null]]).broken.map((b) => b.entry)).toEqual([again]);
  });

  it('takes the next link as it comes when the head was not kept, and checks from there', () => {
    const legacy = fixtureEvent({ subjectId: 'a', previousEventHash: 'c'.repeat(64) });
    const next = fixtureEvent({ subjectId: 'a', previousEventHash: hash(legacy) });
    const result = check([legacy, next], [['a', undefined]]);
    expect(result.applied).toEqual([legacy, next]);
    expect(result.broken).toEqual([]);
  });

  it('moves the head through an event that is not applied, so the events after it still link', () => {
    const first = fixtureEvent({ subjectId: 'a' });
    const refused = fixtureEvent({ subjectId: 'a', previousEventHash: hash(first) });
    const next = fixtureEvent({ subjectId: 'a', previousEventHash: hash(refused) });
    const result = checkLinks(
      [first, refused, next],
      (event) => event,
      hash,
      new Map([['a', null]]),
      (event) => event !== refused,
    );
    expect(result.applied).toEqual([first, next]);
    expect(result.broken).toEqual([]);
  });
});
