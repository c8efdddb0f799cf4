import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import { EVERY_PURPOSE } from './consent-event';
import type { ConsentEvent } from './consent-event';
import { validateProposedEvent } from './consent-event.validation';
import { defaultPolicy } from './consent-policy';
import { evolve, foldEvents } from './consent-state';
import { decide } from './decide';
import { decisionChanges } from './decision-changes';
import { decideRecording } from './record-consent';
import type { RecordingState } from './record-consent';
import { decideFromView } from './view-decision';

const context = { taxonomy: fixtureTaxonomy, policy: defaultPolicy };

const erasureOf = (overrides: Partial<ConsentEvent> = {}) =>
  fixtureEvent({
    purpose: EVERY_PURPOSE,
    action: 'ERASE',
    legalBasis: 'LEGAL_OBLIGATION',
    channel: 'API',
    method: 'SYSTEM',
    notice: null,
    actor: { type: 'SYSTEM', id: 'erasure' },
    ...overrides,
  });

describe('an erased subject', () => {
  const granted = [
    fixtureEvent({ purpose: 'marketing.email' }),
    fixtureEvent({ purpose: 'ml.training' }),
  ];
  const erase = erasureOf();
  const before = foldEvents(granted);
  const after = evolve(before, erase);

  it('is denied every purpose from the ERASE on, contract ones too, for the erasure itself', () => {
    for (const purpose of fixtureTaxonomy.purposes.keys()) {
      expect(decide(after, purpose, { ...context, at: erase.recordedAt })).toMatchObject({
        allowed: false,
        reason: 'SUBJECT_ERASED',
        basis: 'LEGAL_OBLIGATION',
        sinceEventId: erase.eventId,
      });
    }
  });

  it('was allowed what it granted before the ERASE (a replay to an earlier moment agrees)', () => {
    expect(decide(before, 'marketing.email', { ...context, at: erase.recordedAt }).allowed).toBe(
      true,
    );
  });

  it('changes every consent-based purpose to denied, and tells downstream systems once to delete', () => {
    const changes = decisionChanges(before, after, erase, context);
    const consentBased = [...fixtureTaxonomy.purposes.values()]
      .filter((purpose) => purpose.basis === 'consent')
      .map((purpose) => purpose.id);
    expect(changes.map((change) => change.after.purpose).sort()).toEqual(
      [...consentBased, EVERY_PURPOSE].sort(),
    );
    expect(changes.every((change) => !change.after.allowed)).toBe(true);
    expect(changes.filter((change) => change.after.purpose === EVERY_PURPOSE)).toEqual([
      expect.objectContaining({
        suppressionChanged: true,
        after: expect.objectContaining({ reason: 'SUBJECT_ERASED', sinceEventId: erase.eventId }),
      }),
    ]);
  });

  it('is denied by the decision view too, contract purposes included', () => {
    const published = {
      allowed: true,
      reason: 'CONSENT_GRANTED',
      basis: 'CONSENT',
      regime: 'GDPR',
      decidedBy: 'marketing.email',
      causeEventId: granted[0]!.eventId,
      policyVersion: defaultPolicy.version,
    };
    for (const purpose of ['marketing.email', 'transactional'])
      expect(
        decideFromView(
          published,
          purpose,
          { regime: 'GDPR', minor: false, erasedBy: erase.eventId },
          { ...context, viewBehind: false, at: new Date() },
        ),
      ).toMatchObject({ allowed: false, reason: 'SUBJECT_ERASED', decidingEventId: erase.eventId });
  });
});

describe('recording an erasure', () => {
  const tools = {
    newEventId: (() => {
      let next = 0;
      return () => `0190b000-0000-7000-8000-${String((next += 1)).padStart(12, '0')}`;
    })(),
    seal: (event: ConsentEvent) => ({ event }),
    hash: (event: ConsentEvent) => `hash-of-${event.eventId}`,
  };
  const empty: RecordingState = { heads: new Map(), known: new Map(), erased: new Set() };
  const request = (proposed: ConsentEvent) => ({ proposed, fingerprint: proposed.idempotencyKey });
  const now = new Date('2026-12-07T06:00:00Z');

  it('refuses any later event of the subject, in the same command or after it', () => {
    const erase = erasureOf({ idempotencyKey: 'erase:subject-1' });
    const sameCommand = decideRecording(
      { requests: [request(erase), request(fixtureEvent())], now, recordedBy: 'system:erasure' },
      empty,
      tools,
    );
    expect(sameCommand).toMatchObject({ kind: 'refused', violation: { code: 'SUBJECT.ERASED' } });

    const recorded = decideRecording(
      { requests: [request(erase)], now, recordedBy: 'system:erasure' },
      empty,
      tools,
    );
    if (recorded.kind !== 'recorded') throw new Error('the erasure was refused');
    expect([...recorded.changes.erased]).toEqual(['subject-1']);
    const later = decideRecording(
      { requests: [request(fixtureEvent())], now, recordedBy: 'key:web' },
      recorded.state,
      tools,
    );
    expect(later).toMatchObject({
      kind: 'refused',
      violation: { code: 'SUBJECT.ERASED', subjectId: 'subject-1' },
    });
  });

  it('answers a repeat of the erasure itself as the duplicate it is (a retried request)', () => {
    const erase = erasureOf({ idempotencyKey: 'erase:subject-1' });
    const first = decideRecording(
      { requests: [request(erase)], now, recordedBy: 'system:erasure' },
      empty,
      tools,
    );
    if (first.kind !== 'recorded') throw new Error('the erasure was refused');
    const again = decideRecording(
      { requests: [request(erase)], now, recordedBy: 'system:erasure' },
      first.state,
      tools,
    );
    expect(again).toMatchObject({ kind: 'recorded', events: [], answers: [{ duplicate: true }] });
  });

  it('is valid only for every purpose and by the system', () => {
    const problems = (event: ConsentEvent) =>
      validateProposedEvent(event, { ...context, now }).map((problem) => problem.code);
    expect(problems(erasureOf())).toEqual([]);
    expect(problems(erasureOf({ purpose: 'marketing' }))).toContain(
      'CONSENT.ERASE_IS_FOR_EVERY_PURPOSE',
    );
    expect(problems(fixtureEvent({ purpose: EVERY_PURPOSE }))).toContain(
      'CONSENT.ERASE_IS_FOR_EVERY_PURPOSE',
    );
    expect(problems(erasureOf({ actor: { type: 'AGENT', id: 'agent-7' } }))).toContain(
      'CONSENT.ERASE_RESERVED_FOR_SYSTEM',
    );
  });
});
