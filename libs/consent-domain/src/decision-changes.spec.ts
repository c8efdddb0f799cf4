import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import { defaultPolicy } from './consent-policy';
import { evolve, foldEvents, initialState } from './consent-state';
import { decisionChanges } from './decision-changes';

const context = { taxonomy: fixtureTaxonomy, policy: defaultPolicy };

describe('decisionChanges', () => {
  it('given nothing, when a GDPR grant arrives, then the purpose flips to allowed', () => {
    const grant = fixtureEvent({ purpose: 'marketing.email' });
    const changes = decisionChanges(initialState(), evolve(initialState(), grant), grant, context);
    expect(
      changes.map((change) => [
        change.after.purpose,
        change.after.allowed,
        change.suppressionChanged,
      ]),
    ).toEqual([['marketing.email', true, true]]);
  });

  it('given grants, when the parent is withdrawn, then the parent and every child change', () => {
    const before = foldEvents([
      fixtureEvent({ purpose: 'marketing.email' }),
      fixtureEvent({ purpose: 'marketing.sms' }),
    ]);
    const withdrawal = fixtureEvent({ purpose: 'marketing', action: 'WITHDRAW', notice: null });
    const changes = decisionChanges(before, evolve(before, withdrawal), withdrawal, context);
    expect(
      changes
        .filter((change) => change.suppressionChanged)
        .map((change) => change.after.purpose)
        .sort(),
    ).toEqual(['marketing', 'marketing.email', 'marketing.sms']);
    expect(changes.every((change) => !change.after.allowed)).toBe(true);
  });

  it('given a withdrawal, when the same withdrawal is repeated, then nothing changes', () => {
    const withdrawal = fixtureEvent({ action: 'WITHDRAW', notice: null });
    const before = foldEvents([fixtureEvent(), withdrawal]);
    expect(decisionChanges(before, evolve(before, withdrawal), withdrawal, context)).toEqual([]);
  });

  it('an explicit withdrawal where the default already denied still reaches suppression (first explicit choice)', () => {
    const withdrawal = fixtureEvent({ action: 'WITHDRAW', notice: null });
    const [change] = decisionChanges(
      initialState(),
      evolve(initialState(), withdrawal),
      withdrawal,
      context,
    );
    expect(change).toMatchObject({
      suppressionChanged: true,
      after: { allowed: false, reason: 'CONSENT_WITHDRAWN' },
    });
  });

  it('a later withdrawal that only changes the deciding event updates state, not suppression', () => {
    const first = fixtureEvent({ action: 'WITHDRAW', notice: null });
    const before = foldEvents([first]);
    const again = fixtureEvent({ action: 'WITHDRAW', notice: null });
    const [change] = decisionChanges(before, evolve(before, again), again, context);
    expect(change).toMatchObject({
      suppressionChanged: false,
      after: { sinceEventId: again.eventId },
    });
  });

  it('given a grant that lapsed, when the system records the expiry, then suppression hears it', () => {
    const lapsing = fixtureEvent({
      occurredAt: new Date('2026-01-01'),
      expiresAt: new Date('2026-02-01'),
    });
    const before = foldEvents([lapsing]);
    const expiry = fixtureEvent({
      action: 'EXPIRE',
      notice: null,
      actor: { type: 'SYSTEM', id: 'expiry' },
      occurredAt: new Date('2026-02-01'),
      recordedAt: new Date('2026-02-01T00:01:00Z'),
    });
    const [change] = decisionChanges(before, evolve(before, expiry), expiry, context);
    expect(change).toMatchObject({
      suppressionChanged: true,
      before: { allowed: true },
      after: { allowed: false, reason: 'CONSENT_EXPIRED', sinceEventId: expiry.eventId },
    });
  });

  it('a grant renewed with a new expiry reaches suppression, though it stays allowed', () => {
    const first = fixtureEvent({ expiresAt: new Date('2027-01-01') });
    const before = foldEvents([first]);
    const renewal = fixtureEvent({ expiresAt: new Date('2028-01-01') });
    const [change] = decisionChanges(before, evolve(before, renewal), renewal, context);
    expect(change).toMatchObject({
      suppressionChanged: true,
      before: { allowed: true, allowedUntil: new Date('2027-01-01') },
      after: { allowed: true, allowedUntil: new Date('2028-01-01') },
    });
    // A grant again with the same expiry (or none, after none) is not news downstream.
    const same = fixtureEvent({ expiresAt: new Date('2028-01-01') });
    const after = evolve(before, renewal);
    expect(decisionChanges(after, evolve(after, same), same, context)).toMatchObject([
      { suppressionChanged: false },
    ]);
  });
});
