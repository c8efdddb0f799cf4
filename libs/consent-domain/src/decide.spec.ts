import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import type { AgeBand, ConsentEvent } from './consent-event';
import { defaultPolicy } from './consent-policy';
import type { ConsentPolicy } from './consent-policy';
import { foldEvents, initialState } from './consent-state';
import { decide, UnknownPurposeError } from './decide';
import type { DecisionReason } from './decide';
import { regimeFor } from './jurisdiction-regimes';

const at = new Date('2026-06-01T00:00:00Z');
const options = (policy: ConsentPolicy = defaultPolicy, when = at) => ({
  taxonomy: fixtureTaxonomy,
  policy,
  at: when,
});

describe('regimeFor', () => {
  it.each([
    ['DE', 'GDPR'],
    ['FR', 'GDPR'],
    ['NO', 'GDPR'],
    ['GB', 'UK_GDPR'],
    ['US-CA', 'CCPA_CPRA'],
    ['US-VA', 'US_STATE_OPT_OUT'],
    ['US-TX', 'US_STATE_OPT_OUT'],
    ['US-NY', 'UNKNOWN'],
    ['BR', 'UNKNOWN'],
    ['ZZ', 'UNKNOWN'],
  ])('%s is under %s', (jurisdiction, regime) => {
    expect(regimeFor(jurisdiction, defaultPolicy)).toBe(regime);
  });

  it('treats everyone as GDPR when strictest everywhere is on', () => {
    const strictest = { ...defaultPolicy, strictestEverywhere: true };
    expect(regimeFor('US-CA', strictest)).toBe('GDPR');
    expect(regimeFor('US-VA', strictest)).toBe('GDPR');
  });
});

describe('decide before any choice (the regime default)', () => {
  type Row = [
    jurisdiction: string,
    purpose: string,
    ageBand: AgeBand | null,
    allowed: boolean,
    reason: DecisionReason,
  ];
  const table: Row[] = [
    ['DE', 'marketing.email', null, false, 'OPT_IN_REQUIRED'],
    ['DE', 'ads.targeted', null, false, 'OPT_IN_REQUIRED'],
    ['DE', 'transactional', null, true, 'CONTRACT_BASIS'],
    ['GB', 'ml.training', null, false, 'OPT_IN_REQUIRED'],
    ['BR', 'data.sale_sharing', null, false, 'OPT_IN_REQUIRED'],
    ['US-CA', 'data.sale_sharing', null, true, 'OPT_OUT_NOT_EXERCISED'],
    ['US-CA', 'ads.targeted', 'ADULT', true, 'OPT_OUT_NOT_EXERCISED'],
    ['US-CA', 'data.sale_sharing', 'UNDER_16', false, 'MINOR_OPT_IN_REQUIRED'],
    ['US-CA', 'ads.targeted', 'UNDER_13', false, 'MINOR_OPT_IN_REQUIRED'],
    ['US-CA', 'sensitive.processing', null, true, 'OPT_OUT_NOT_EXERCISED'],
    ['US-CA', 'transactional', 'UNDER_13', true, 'CONTRACT_BASIS'],
    ['US-VA', 'ads.targeted', null, true, 'OPT_OUT_NOT_EXERCISED'],
    ['US-VA', 'ml.training', null, true, 'OPT_OUT_NOT_EXERCISED'],
    ['US-VA', 'sensitive.processing', null, false, 'SENSITIVE_OPT_IN_REQUIRED'],
    ['US-CO', 'data.sale_sharing', 'UNDER_16', false, 'MINOR_OPT_IN_REQUIRED'],
  ];
  it.each(table)(
    '%s %s (age %s) -> allowed=%s %s',
    (jurisdiction, purpose, ageBand, allowed, reason) => {
      const state = foldEvents([
        fixtureEvent({
          purpose: 'marketing.sms',
          jurisdiction,
          ageBand,
          occurredAt: new Date('2026-01-01'),
        }),
      ]);
      const decision = decide(state, purpose, options());
      expect(decision).toMatchObject({ allowed, reason, sinceEventId: null });
    },
  );

  it('uses the strictest rule for a subject never seen', () => {
    expect(decide(initialState(), 'data.sale_sharing', options())).toMatchObject({
      allowed: false,
      regime: 'UNKNOWN',
    });
  });

  it('honours a jurisdiction given with the question', () => {
    const decision = decide(initialState(), 'data.sale_sharing', {
      ...options(),
      jurisdiction: 'US-CA',
    });
    expect(decision).toMatchObject({ allowed: true, regime: 'CCPA_CPRA' });
  });
});

describe('decide after choices', () => {
  const grant = (overrides: Partial<ConsentEvent> = {}) =>
    fixtureEvent({ action: 'GRANT', ...overrides });
  const withdraw = (overrides: Partial<ConsentEvent> = {}) =>
    fixtureEvent({ action: 'WITHDRAW', ...overrides });

  it('given a grant, allows with the grant as the deciding event and its basis', () => {
    const event = grant({ legalBasis: 'CONSENT' });
    expect(decide(foldEvents([event]), 'marketing.email', options())).toEqual({
      purpose: 'marketing.email',
      allowed: true,
      reason: 'CONSENT_GRANTED',
      basis: 'CONSENT',
      regime: 'GDPR',
      sinceEventId: event.eventId,
      decidedBy: 'marketing.email',
    });
  });

  it('given a grant then a withdrawal, denies since the withdrawal', () => {
    const events = [grant(), withdraw()];
    expect(decide(foldEvents(events), 'marketing.email', options())).toMatchObject({
      allowed: false,
      reason: 'CONSENT_WITHDRAWN',
      sinceEventId: events[1]!.eventId,
    });
  });

  it('withdrawing a parent covers its children; a later specific grant wins again', () => {
    const childGrant = grant({ purpose: 'marketing.email' });
    const parentWithdrawal = withdraw({ purpose: 'marketing' });
    const afterParent = foldEvents([childGrant, parentWithdrawal]);
    expect(decide(afterParent, 'marketing.email', options())).toMatchObject({
      allowed: false,
      decidedBy: 'marketing',
    });
    expect(decide(afterParent, 'marketing.sms', options())).toMatchObject({
      allowed: false,
      decidedBy: 'marketing',
    });

    const regrant = grant({ purpose: 'marketing.email' });
    const state = foldEvents([regrant], afterParent);
    expect(decide(state, 'marketing.email', options())).toMatchObject({
      allowed: true,
      sinceEventId: regrant.eventId,
    });
    expect(decide(state, 'marketing.sms', options())).toMatchObject({ allowed: false });
  });

  it('a withdrawal that arrives late but happened earlier does not undo a newer grant', () => {
    const newerGrant = grant({ occurredAt: new Date('2026-03-02') });
    const olderWithdrawal = withdraw({ occurredAt: new Date('2026-03-01') });
    expect(
      decide(foldEvents([newerGrant, olderWithdrawal]), 'marketing.email', options()),
    ).toMatchObject({
      allowed: true,
      sinceEventId: newerGrant.eventId,
    });
  });

  it('names GPC as the reason for an opt-out by Global Privacy Control', () => {
    const state = foldEvents([
      withdraw({
        purpose: 'data.sale_sharing',
        jurisdiction: 'US-CA',
        method: 'GLOBAL_PRIVACY_CONTROL',
        notice: null,
      }),
    ]);
    expect(decide(state, 'data.sale_sharing', options())).toMatchObject({
      allowed: false,
      reason: 'GPC_OPT_OUT',
      regime: 'CCPA_CPRA',
    });
  });

  it('denies a grant past its expiry, and after the system records the expiry', () => {
    const expiring = grant({
      occurredAt: new Date('2026-01-01'),
      expiresAt: new Date('2026-05-01'),
    });
    expect(
      decide(
        foldEvents([expiring]),
        'marketing.email',
        options(defaultPolicy, new Date('2026-04-30')),
      ),
    ).toMatchObject({ allowed: true });
    expect(decide(foldEvents([expiring]), 'marketing.email', options())).toMatchObject({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
    });

    const expiry = fixtureEvent({
      action: 'EXPIRE',
      occurredAt: new Date('2026-05-01'),
      actor: { type: 'SYSTEM', id: 'expiry' },
    });
    expect(decide(foldEvents([expiring, expiry]), 'marketing.email', options())).toMatchObject({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
      sinceEventId: expiry.eventId,
    });
  });

  it('marks a grant under a superseded notice version as needing re-consent', () => {
    const policy = { ...defaultPolicy, minimumNoticeVersions: { privacy: '10' } };
    const old = grant({
      notice: { noticeId: 'privacy', version: '9', textSha256: 'b'.repeat(64) },
    });
    const current = grant({
      notice: { noticeId: 'privacy', version: '10', textSha256: 'c'.repeat(64) },
    });
    expect(decide(foldEvents([old]), 'marketing.email', options(policy))).toMatchObject({
      allowed: false,
      reason: 'RECONSENT_REQUIRED',
    });
    expect(decide(foldEvents([old, current]), 'marketing.email', options(policy))).toMatchObject({
      allowed: true,
    });
    // In an opt-out regime a stale grant falls back to the default, which allows.
    const inCalifornia = grant({
      purpose: 'ads.targeted',
      jurisdiction: 'US-CA',
      notice: old.notice,
    });
    expect(decide(foldEvents([inCalifornia]), 'ads.targeted', options(policy))).toMatchObject({
      allowed: true,
      reason: 'OPT_OUT_NOT_EXERCISED',
    });
  });

  it('contract purposes are allowed whatever the consent choices', () => {
    const state = foldEvents([withdraw({ purpose: 'marketing' })]);
    expect(decide(state, 'transactional', options())).toMatchObject({
      allowed: true,
      reason: 'CONTRACT_BASIS',
      basis: 'CONTRACT',
    });
  });

  it('rejects a purpose the taxonomy does not know', () => {
    expect(() => decide(initialState(), 'telepathy', options())).toThrow(UnknownPurposeError);
  });
});
