import fc from 'fast-check';
import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { EVERY_PURPOSE } from './consent-event';
import { defaultPolicy } from './consent-policy';
import { evolve, initialState } from './consent-state';
import type { SubjectConsentState } from './consent-state';
import {
  countedPurposes,
  dailyTallyChanges,
  standingCountChanges,
  standingOf,
} from './consent-standing';

const policy = { ...defaultPolicy, minimumNoticeVersions: { privacy: '3' } };
const context = { taxonomy: fixtureTaxonomy, policy };
const purposes = countedPurposes(fixtureTaxonomy);
const start = Date.UTC(2026, 0, 1);
const notice = (version: string) => ({ noticeId: 'privacy', version, textSha256: 'ab'.repeat(32) });

const eventArbitrary: fc.Arbitrary<ConsentEvent> = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffffffff }),
    subject: fc.constantFrom('s1', 's2', 's3'),
    minute: fc.integer({ min: 0, max: 500 }),
    purpose: fc.constantFrom(...purposes, EVERY_PURPOSE),
    action: fc.constantFrom('GRANT', 'WITHDRAW', 'EXPIRE' as const),
    jurisdiction: fc.constantFrom('DE', 'US-CA', 'BR'),
    noticeVersion: fc.constantFrom('2', '3', '4'),
  })
  .map(({ id, subject, minute, purpose, action, jurisdiction, noticeVersion }) =>
    fixtureEvent({
      eventId: `0190a000-0000-7000-8000-${id.toString(16).padStart(12, '0')}`,
      subjectId: subject,
      purpose,
      // '*' stands for an erasure only.
      action: purpose === EVERY_PURPOSE ? 'ERASE' : action,
      jurisdiction,
      notice: action === 'GRANT' ? notice(noticeVersion) : null,
      occurredAt: new Date(start + minute * 60_000),
    }),
  );

/** Counter key: purpose, jurisdiction, standing. */
const keyOf = (purpose: string, jurisdiction: string, standing: string) =>
  `${purpose}|${jurisdiction}|${standing}`;

/** The counters as a count of the states would give them (zero entries left out). */
function counted(states: ReadonlyMap<string, SubjectConsentState>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const state of states.values())
    for (const purpose of purposes) {
      const key = keyOf(purpose, state.jurisdiction ?? 'ZZ', standingOf(state, purpose, context));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return counts;
}

describe('consent standings and their counters', () => {
  it('kept event by event, the counters equal a count of the states after any history', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(eventArbitrary, { selector: (e) => e.eventId, maxLength: 60 }),
        (events) => {
          const states = new Map<string, SubjectConsentState>();
          const counters = new Map<string, number>();
          for (const event of events) {
            const before = states.get(event.subjectId) ?? initialState();
            const after = evolve(before, event);
            states.set(event.subjectId, after);
            for (const change of standingCountChanges(before, after, context)) {
              const key = keyOf(change.purpose, change.jurisdiction, change.standing);
              counters.set(key, (counters.get(key) ?? 0) + change.delta);
            }
          }
          const kept = new Map([...counters].filter(([, count]) => count !== 0));
          expect(kept).toEqual(counted(states));
        },
      ),
    );
  });

  it('tells active, withdrawn, expired, lapsed under an old notice, never asked and erased apart', () => {
    const event = (
      purpose: string,
      action: ConsentEvent['action'],
      minute: number,
      version = '3',
    ) =>
      fixtureEvent({
        subjectId: 's',
        purpose,
        action,
        notice: action === 'GRANT' ? notice(version) : null,
        occurredAt: new Date(start + minute * 60_000),
      });
    let state = initialState();
    for (const next of [
      event('marketing.email', 'GRANT', 1),
      event('marketing.sms', 'GRANT', 2, '2'),
      event('ml.training', 'GRANT', 3),
      event('ml.training', 'EXPIRE', 4),
      event('data', 'WITHDRAW', 5),
    ])
      state = evolve(state, next);
    const standing = (purpose: string) => standingOf(state, purpose, context);
    expect(standing('marketing.email')).toBe('ACTIVE');
    expect(standing('marketing.sms')).toBe('LAPSED_NOTICE');
    expect(standing('ml.training')).toBe('EXPIRED');
    // A withdrawal of a parent purpose stands for its children
    expect(standing('data.sale_sharing')).toBe('WITHDRAWN');
    expect(standing('ads.targeted')).toBe('NEVER_ASKED');
    state = evolve(state, event(EVERY_PURPOSE, 'ERASE', 6));
    expect(purposes.map(standing).every((value) => value === 'ERASED')).toBe(true);
  });

  it('moves a subject’s counts when it changes jurisdiction, and counts a new subject once', () => {
    const base = initialState();
    const first = evolve(base, fixtureEvent({ subjectId: 's', occurredAt: new Date(start) }));
    const created = standingCountChanges(base, first, context);
    expect(created.every((change) => change.delta === 1 && change.jurisdiction === 'DE')).toBe(
      true,
    );
    expect(created).toHaveLength(purposes.length);
    const moved = evolve(first, {
      ...first.choices['marketing.email']!,
      eventId: '0190a000-0000-7000-8000-000000000002',
      subjectId: 's',
      jurisdiction: 'FR',
      occurredAt: new Date(start + 60_000),
      recordedAt: new Date(start + 60_000),
      ageBand: null,
    });
    const changes = standingCountChanges(first, moved, context);
    expect(changes.filter((change) => change.delta === -1).map((c) => c.jurisdiction)).toEqual(
      purposes.map(() => 'DE'),
    );
    expect(changes.filter((change) => change.delta === 1).map((c) => c.jurisdiction)).toEqual(
      purposes.map(() => 'FR'),
    );
  });
});

describe('daily tallies', () => {
  const at = (minute: number, version = '3') => ({
    occurredAt: new Date(start + minute * 60_000),
    notice: notice(version),
  });
  /** The tallies of each event of one subject's history, in order. */
  function talliesOf(history: ReadonlyArray<Partial<ConsentEvent>>) {
    let state = initialState();
    return history.map((fields) => {
      const event = fixtureEvent({ subjectId: 's', ...fields });
      const after = evolve(state, event);
      const tallies = dailyTallyChanges(
        standingCountChanges(state, after, context),
        event.occurredAt,
      );
      state = after;
      return tallies;
    });
  }

  it('tells an agreement, a decline and a revocation apart, on the day the event took effect', () => {
    const [declined, granted, revoked] = talliesOf([
      { purpose: 'marketing.email', action: 'WITHDRAW', ...at(0), notice: null },
      { purpose: 'marketing.email', action: 'GRANT', ...at(60 * 24) },
      { purpose: 'marketing.email', action: 'WITHDRAW', ...at(60 * 48), notice: null },
    ]);
    const email = (tallies: ReturnType<typeof dailyTallyChanges> | undefined) =>
      tallies?.find((tally) => tally.purpose === 'marketing.email');
    expect(email(declined)).toMatchObject({ day: '2026-01-01', declines: 1, grants: 0 });
    expect(email(granted)).toMatchObject({ day: '2026-01-02', grants: 1, activeChange: 1 });
    expect(email(revoked)).toMatchObject({ day: '2026-01-03', revocations: 1, activeChange: -1 });
  });

  it('counts a parent grant as an agreement to each child, and an expiry only as active lost', () => {
    const [granted, expired] = talliesOf([
      { purpose: 'marketing', action: 'GRANT', ...at(0) },
      { purpose: 'marketing', action: 'EXPIRE', ...at(5), notice: null },
    ]);
    expect(granted!.map((tally) => tally.purpose).sort()).toEqual(
      purposes.filter((purpose) => purpose.startsWith('marketing')).sort(),
    );
    expect(expired!.every((t) => t.activeChange === -1 && t.grants + t.revocations === 0)).toBe(
      true,
    );
  });

  it('summed, the active changes equal the subjects counted ACTIVE after any history', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(eventArbitrary, { selector: (e) => e.eventId, maxLength: 60 }),
        (events) => {
          const states = new Map<string, SubjectConsentState>();
          let active = 0;
          for (const event of events) {
            const before = states.get(event.subjectId) ?? initialState();
            const after = evolve(before, event);
            states.set(event.subjectId, after);
            const changes = standingCountChanges(before, after, context);
            for (const tally of dailyTallyChanges(changes, event.occurredAt))
              active += tally.activeChange;
          }
          const counts = counted(states);
          const expected = [...counts]
            .filter(([key]) => key.endsWith('|ACTIVE'))
            .reduce((sum, [, count]) => sum + count, 0);
          expect(active).toBe(expected);
        },
      ),
    );
  });
});
