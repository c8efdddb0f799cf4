import { fixtureEvent } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import type { ProposedEvent } from './consent-event.validation';
import { initialState } from './consent-state';
import { defaultPolicy } from './consent-policy';
import { impliedGpcOptOuts, gpcOptOutKey } from './global-privacy-control';
import { fixtureTaxonomy } from './consent-domain.fixtures';
import { decideRecording, idempotencyKeyOf, validateRecording } from './record-consent';
import type { RecordingState } from './record-consent';

const now = new Date('2026-06-01T12:00:00Z');

function proposed(overrides: Partial<ConsentEvent> = {}): ProposedEvent {
  const {
    eventId: _eventId,
    recordedAt: _recordedAt,
    previousEventHash: _link,
    ...event
  } = fixtureEvent(overrides);
  return event;
}

let ids = 0;
const tools = {
  newEventId: () => `event-${(ids += 1)}`,
  seal: (event: ConsentEvent) => ({ event }),
  hash: (event: ConsentEvent) => `hash(${event.eventId})`,
};
const empty: RecordingState = { heads: new Map(), known: new Map(), erased: new Set() };
const command = (...events: ProposedEvent[]) => ({
  requests: events.map((event) => ({ proposed: event, fingerprint: `fp:${event.idempotencyKey}` })),
  now,
  recordedBy: 'key-1',
});

describe('recording consent (the write side decider)', () => {
  it("chains a new subject's events within the command, each with an id, the time and its author", () => {
    const decision = decideRecording(
      command(proposed({ idempotencyKey: 'a' }), proposed({ idempotencyKey: 'b' })),
      empty,
      tools,
    );
    if (decision.kind !== 'recorded') throw new Error('refused');
    const [first, second] = decision.events.map(({ event }) => event);
    expect(first).toMatchObject({ previousEventHash: null, recordedAt: now, recordedBy: 'key-1' });
    expect(second!.previousEventHash).toBe(`hash(${first!.eventId})`);
    expect(decision.state.heads.get('subject-1')).toBe(`hash(${second!.eventId})`);
    expect(decision.answers.map(({ duplicate }) => duplicate)).toEqual([false, false]);
  });

  it("links a subject's first new event to the head the ledger holds", () => {
    const state = { ...empty, heads: new Map([['subject-1', 'head-hash']]) };
    const decision = decideRecording(command(proposed()), state, tools);
    expect(decision.kind === 'recorded' && decision.events[0]!.event.previousEventHash).toBe(
      'head-hash',
    );
  });

  it('answers a key used before for the same request with its event, writing nothing', () => {
    const known = new Map([
      [idempotencyKeyOf('subject-1', 'k'), { eventId: 'old-event', fingerprint: 'fp:k' }],
    ]);
    const decision = decideRecording(
      command(proposed({ idempotencyKey: 'k' })),
      { ...empty, known },
      tools,
    );
    expect(decision).toMatchObject({
      kind: 'recorded',
      events: [],
      answers: [{ eventId: 'old-event', duplicate: true }],
    });
  });

  it('refuses the whole command when a key was used before for another request', () => {
    const known = new Map([
      [idempotencyKeyOf('subject-1', 'k'), { eventId: 'old-event', fingerprint: 'other' }],
    ]);
    const decision = decideRecording(
      command(proposed({ idempotencyKey: 'new' }), proposed({ idempotencyKey: 'k' })),
      { ...empty, known },
      tools,
    );
    expect(decision).toEqual({
      kind: 'refused',
      violation: {
        code: 'CONSENT.IDEMPOTENCY_KEY_REUSED',
        subjectId: 'subject-1',
        idempotencyKey: 'k',
      },
    });
  });

  it('refuses an event its codec cannot hold, with the reason', () => {
    const failing = {
      ...tools,
      seal: () => {
        throw new Error('value out of range');
      },
    };
    const decision = decideRecording(command(proposed()), empty, failing);
    expect(decision).toMatchObject({
      kind: 'refused',
      violation: { code: 'CONSENT.NOT_SERIALISABLE', reason: 'value out of range' },
    });
  });

  it('returns a state in which the same command is a duplicate', () => {
    const once = decideRecording(command(proposed({ idempotencyKey: 'x' })), empty, tools);
    if (once.kind !== 'recorded') throw new Error('refused');
    const again = decideRecording(command(proposed({ idempotencyKey: 'x' })), once.state, tools);
    expect(again).toMatchObject({ events: [], answers: [{ duplicate: true }] });
  });

  it('flags a key that appears twice in one command, naming its place', () => {
    const problems = validateRecording(
      [proposed({ idempotencyKey: 'same' }), proposed({ idempotencyKey: 'same' })],
      { taxonomy: fixtureTaxonomy, policy: defaultPolicy, now: new Date('2026-01-01T01:00:00Z') },
    );
    expect(problems).toContainEqual(
      expect.objectContaining({ index: 1, code: 'CONSENT.DUPLICATE_KEY_IN_BATCH' }),
    );
  });
});

describe('the opt-outs a Global Privacy Control signal implies', () => {
  const request = {
    ...proposed({ jurisdiction: 'US-CA', purpose: 'marketing.email', idempotencyKey: 'req' }),
    occurredAt: '2026-06-01T11:00:00.000Z',
  };
  const situation = {
    state: initialState(),
    recordedKeys: new Set<string>(),
    taxonomy: fixtureTaxonomy,
    policy: defaultPolicy,
    at: now,
  };

  it('withdraws each listed purpose still allowed, keyed from the request', () => {
    const optOuts = impliedGpcOptOuts(request, situation);
    expect(optOuts.map(({ purpose, idempotencyKey }) => [purpose, idempotencyKey])).toEqual([
      ['data.sale_sharing', gpcOptOutKey('data.sale_sharing', 'req')],
      ['ads.targeted', gpcOptOutKey('ads.targeted', 'req')],
    ]);
    expect(optOuts[0]).toMatchObject({
      action: 'WITHDRAW',
      method: 'GLOBAL_PRIVACY_CONTROL',
      legalBasis: 'OPT_OUT_NOTICE',
      occurredAt: request.occurredAt,
    });
  });

  it('gives a retried request the opt-outs it recorded the first time, whatever the state now', () => {
    const recordedKeys = new Set(['req', gpcOptOutKey('ads.targeted', 'req')]);
    const optOuts = impliedGpcOptOuts(request, { ...situation, recordedKeys });
    expect(optOuts.map(({ purpose }) => purpose)).toEqual(['ads.targeted']);
  });

  it('leaves alone a purpose the request itself grants', () => {
    const grant = { ...request, action: 'GRANT', purpose: 'ads' };
    expect(impliedGpcOptOuts(grant, situation).map(({ purpose }) => purpose)).toEqual([
      'data.sale_sharing',
    ]);
  });
});
