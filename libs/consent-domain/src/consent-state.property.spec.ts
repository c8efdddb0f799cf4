import fc from 'fast-check';
import { fixtureTaxonomy } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { defaultPolicy } from './consent-policy';
import { evolve, foldEvents } from './consent-state';
import { decide } from './decide';

const purposes = [...fixtureTaxonomy.purposes.values()]
  .filter((purpose) => purpose.basis === 'consent')
  .map((purpose) => purpose.id);
const start = Date.UTC(2026, 0, 1);

const eventArbitrary: fc.Arbitrary<ConsentEvent> = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffffffff }),
    minute: fc.integer({ min: 0, max: 500 }),
    purpose: fc.constantFrom(...purposes),
    action: fc.constantFrom('GRANT', 'WITHDRAW', 'EXPIRE' as const),
    jurisdiction: fc.constantFrom('DE', 'GB', 'US-CA', 'US-VA', 'BR'),
    method: fc.constantFrom('BANNER', 'PREFERENCE_CENTRE', 'GLOBAL_PRIVACY_CONTROL' as const),
    expiresInMinutes: fc.option(fc.integer({ min: 1, max: 300 }), { nil: null }),
    ageBand: fc.constantFrom(null, 'UNDER_16', 'ADULT' as const),
  })
  .map(({ id, minute, purpose, action, jurisdiction, method, expiresInMinutes, ageBand }) => {
    const occurredAt = new Date(start + minute * 60_000);
    return {
      eventId: `0190a000-0000-7000-8000-${id.toString(16).padStart(12, '0')}`,
      subjectId: 'subject-p',
      purpose,
      action,
      jurisdiction,
      legalBasis: 'CONSENT',
      channel: 'WEB',
      method,
      notice: null,
      occurredAt,
      recordedAt: occurredAt,
      expiresAt:
        expiresInMinutes === null
          ? null
          : new Date(occurredAt.getTime() + expiresInMinutes * 60_000),
      actor: { type: 'SUBJECT', id: null },
      evidence: null,
      ageBand,
      idempotencyKey: `k-${id}`,
      previousEventHash: null,
    } satisfies ConsentEvent;
  });

/** Histories whose event ids are unique, as the log guarantees. */
const historyArbitrary = fc.uniqueArray(eventArbitrary, {
  selector: (event) => event.eventId,
  maxLength: 40,
});
const momentArbitrary = fc
  .integer({ min: 0, max: 900 })
  .map((minute) => new Date(start + minute * 60_000));

const decisionsAt = (events: readonly ConsentEvent[], at: Date) => {
  const state = foldEvents(events);
  return purposes.map((purpose) =>
    decide(state, purpose, {
      taxonomy: fixtureTaxonomy,
      policy: defaultPolicy,
      at,
      jurisdiction: 'DE',
    }),
  );
};

describe('the fold (properties)', () => {
  it('is deterministic: replaying a history twice gives the same state', () => {
    fc.assert(
      fc.property(historyArbitrary, (events) =>
        expect(foldEvents(events)).toEqual(foldEvents(events)),
      ),
    );
  });

  it('re-applying any event of the history changes nothing', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.nat(), (events, pick) => {
        fc.pre(events.length > 0);
        const state = foldEvents(events);
        expect(evolve(state, events[pick % events.length]!)).toEqual(state);
      }),
    );
  });

  it('does not depend on the order the events arrive in', () => {
    fc.assert(
      fc.property(
        historyArbitrary.chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
        ),
        ([events, shuffled]) => {
          expect(foldEvents(shuffled)).toEqual(foldEvents(events));
        },
      ),
    );
  });

  it('folding the events after T onto the state at T gives the state of the whole history', () => {
    fc.assert(
      fc.property(historyArbitrary, momentArbitrary, (events, at) => {
        const upToT = events.filter((event) => event.occurredAt.getTime() <= at.getTime());
        const afterT = events.filter((event) => event.occurredAt.getTime() > at.getTime());
        expect(foldEvents(afterT, foldEvents(upToT))).toEqual(foldEvents(events));
      }),
    );
  });

  it('decisions are a function of the state alone', () => {
    fc.assert(
      fc.property(historyArbitrary, momentArbitrary, (events, at) => {
        expect(decisionsAt(events, at)).toEqual(decisionsAt([...events].reverse(), at));
      }),
    );
  });

  it('withdrawing a parent purpose denies every child purpose', () => {
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.constantFrom('marketing', 'ads', 'data', 'ml', 'sensitive'),
        (events, parent) => {
          const withdrawal: ConsentEvent = {
            ...events[0]!,
            eventId: 'ffffffff-ffff-7fff-8fff-ffffffffffff',
            purpose: parent,
            action: 'WITHDRAW',
            occurredAt: new Date(start + 1000 * 60_000),
            recordedAt: new Date(start + 1000 * 60_000),
          };
          fc.pre(events.length > 0);
          const state = foldEvents([...events, withdrawal]);
          const at = new Date(start + 1001 * 60_000);
          for (const child of fixtureTaxonomy.purposes.get(parent)!.children) {
            const decision = decide(state, child, {
              taxonomy: fixtureTaxonomy,
              policy: defaultPolicy,
              at,
            });
            expect(decision).toMatchObject({ allowed: false, decidedBy: parent });
          }
        },
      ),
    );
  });
});
