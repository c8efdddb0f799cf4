import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import { defaultPolicy } from './consent-policy';
import { foldEvents, initialState } from './consent-state';
import { decide } from './decide';
import { gpcHonouredIn, gpcOptOuts } from './global-privacy-control';
import { decideFromView } from './view-decision';
import type { PublishedDecision, SubjectFacts, ViewDecisionReason } from './view-decision';

const context = {
  taxonomy: fixtureTaxonomy,
  policy: defaultPolicy,
  viewBehind: false,
  at: new Date(Date.UTC(2026, 5, 1)),
};
const unseen: SubjectFacts = { regime: null, minor: false };

const published = (overrides: Partial<PublishedDecision>): PublishedDecision => ({
  allowed: true,
  reason: 'CONSENT_GRANTED',
  basis: 'CONSENT',
  regime: 'GDPR',
  decidedBy: 'marketing.email',
  causeEventId: 'event-1',
  policyVersion: 'published-version',
  ...overrides,
});

describe('decideFromView', () => {
  type Row = [
    title: string,
    record: PublishedDecision | undefined,
    subject: SubjectFacts,
    purpose: string,
    jurisdiction: string | undefined,
    allowed: boolean,
    reason: ViewDecisionReason,
  ];
  const table: Row[] = [
    [
      'an unseen subject, GDPR by default',
      undefined,
      unseen,
      'marketing.email',
      undefined,
      false,
      'NO_CONSENT_ON_RECORD',
    ],
    [
      'an unseen subject asked under GDPR',
      undefined,
      unseen,
      'marketing.email',
      'DE',
      false,
      'OPT_IN_REQUIRED',
    ],
    [
      'an unseen subject asked under CCPA (it may not loosen the strictest rule)',
      undefined,
      unseen,
      'data.sale_sharing',
      'US-CA',
      false,
      'NO_CONSENT_ON_RECORD',
    ],
    [
      'an unseen subject asked under Virginia law, sensitive',
      undefined,
      unseen,
      'sensitive.processing',
      'US-VA',
      false,
      'SENSITIVE_OPT_IN_REQUIRED',
    ],
    [
      'a known GDPR subject without a record for the purpose',
      undefined,
      { regime: 'GDPR', minor: false },
      'ml.training',
      undefined,
      false,
      'OPT_IN_REQUIRED',
    ],
    [
      'a known California minor asked about sale',
      undefined,
      { regime: 'CCPA_CPRA', minor: true },
      'data.sale_sharing',
      undefined,
      false,
      'MINOR_OPT_IN_REQUIRED',
    ],
    [
      'a grant, under any jurisdiction',
      published({}),
      unseen,
      'marketing.email',
      'US-CA',
      true,
      'CONSENT_GRANTED',
    ],
    [
      'a withdrawal, under any jurisdiction',
      published({ allowed: false, reason: 'CONSENT_WITHDRAWN' }),
      unseen,
      'marketing.email',
      'US-VA',
      false,
      'CONSENT_WITHDRAWN',
    ],
    [
      'a GPC opt-out',
      published({
        allowed: false,
        reason: 'GPC_OPT_OUT',
        regime: 'CCPA_CPRA',
        decidedBy: 'data.sale_sharing',
      }),
      unseen,
      'data.sale_sharing',
      undefined,
      false,
      'GPC_OPT_OUT',
    ],
    [
      'a published CCPA default asked under GDPR',
      published({ reason: 'OPT_OUT_NOT_EXERCISED', regime: 'CCPA_CPRA', decidedBy: null }),
      unseen,
      'ads.targeted',
      'FR',
      false,
      'OPT_IN_REQUIRED',
    ],
    [
      'a published CCPA default asked as is',
      published({ reason: 'OPT_OUT_NOT_EXERCISED', regime: 'CCPA_CPRA', decidedBy: null }),
      unseen,
      'ads.targeted',
      undefined,
      true,
      'OPT_OUT_NOT_EXERCISED',
    ],
    [
      'the contract purpose of an unseen subject',
      undefined,
      unseen,
      'transactional',
      undefined,
      true,
      'CONTRACT_BASIS',
    ],
  ];
  it.each(table)('%s', (_title, record, subject, purpose, jurisdiction, allowed, reason) => {
    const decision = decideFromView(record, purpose, subject, {
      ...context,
      ...(jurisdiction ? { jurisdiction } : {}),
    });
    expect(decision).toMatchObject({ purpose, allowed, reason });
  });

  describe('a jurisdiction named in the request', () => {
    const gdprSubject: SubjectFacts = { regime: 'GDPR', minor: false };

    it('does not turn an EU subject\'s "no consent" into allowed', () => {
      const answer = decideFromView(undefined, 'ads.targeted', gdprSubject, {
        ...context,
        jurisdiction: 'US-CA',
      });
      expect(answer).toMatchObject({
        allowed: false,
        reason: 'OPT_IN_REQUIRED',
        regime: 'GDPR',
        jurisdiction: null,
      });
    });

    it('loosens it for a caller that may override, and says under which jurisdiction', () => {
      const answer = decideFromView(undefined, 'ads.targeted', gdprSubject, {
        ...context,
        jurisdiction: 'US-CA',
        jurisdictionMayLoosen: true,
      });
      expect(answer).toMatchObject({
        allowed: true,
        reason: 'OPT_OUT_NOT_EXERCISED',
        regime: 'CCPA_CPRA',
        jurisdiction: 'US-CA',
      });
    });

    it('makes an answer stricter without any scope', () => {
      const virginian: SubjectFacts = { regime: 'US_STATE_OPT_OUT', minor: false };
      const own = decideFromView(undefined, 'ads.targeted', virginian, context);
      const asked = decideFromView(undefined, 'ads.targeted', virginian, {
        ...context,
        jurisdiction: 'FR',
      });
      expect([own.allowed, own.jurisdiction]).toEqual([true, null]);
      expect(asked).toMatchObject({ allowed: false, regime: 'GDPR', jurisdiction: 'FR' });
    });
  });

  it('names the deciding event and the policy version of an explicit choice', () => {
    expect(decideFromView(published({}), 'marketing.email', unseen, context)).toMatchObject({
      decidingEventId: 'event-1',
      policyVersion: 'published-version',
    });
    expect(decideFromView(undefined, 'marketing.email', unseen, context)).toMatchObject({
      decidingEventId: null,
      policyVersion: defaultPolicy.version,
    });
  });

  it('denies a published grant from the instant it expires, before its EXPIRE record arrives', () => {
    const grant = published({ allowedUntil: context.at });
    const justBefore = { ...context, at: new Date(context.at.getTime() - 1) };
    expect(decideFromView(grant, 'marketing.email', unseen, justBefore)).toMatchObject({
      allowed: true,
      reason: 'CONSENT_GRANTED',
    });
    expect(decideFromView(grant, 'marketing.email', unseen, context)).toMatchObject({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
      decidingEventId: 'event-1',
    });
    // Under a requested jurisdiction too.
    expect(
      decideFromView(grant, 'marketing.email', unseen, { ...context, jurisdiction: 'US-CA' }),
    ).toMatchObject({ allowed: false, reason: 'CONSENT_EXPIRED' });
  });

  it('fails closed when the view is behind, except for contract purposes', () => {
    const behind = { ...context, viewBehind: true };
    expect(decideFromView(published({}), 'marketing.email', unseen, behind)).toMatchObject({
      allowed: false,
      reason: 'VIEW_BEHIND_LOG',
    });
    expect(decideFromView(undefined, 'transactional', unseen, behind).allowed).toBe(true);
  });

  it('agrees with decide on the default of every purpose in every regime', () => {
    for (const jurisdiction of ['DE', 'GB', 'US-CA', 'US-VA', 'BR']) {
      for (const purpose of fixtureTaxonomy.purposes.keys()) {
        const expected = decide(initialState(), purpose, {
          taxonomy: fixtureTaxonomy,
          policy: defaultPolicy,
          at: new Date(),
          jurisdiction,
        });
        const fromView = decideFromView(undefined, purpose, unseen, {
          ...context,
          jurisdiction,
          jurisdictionMayLoosen: true,
        });
        expect([purpose, jurisdiction, fromView.allowed, fromView.reason]).toEqual([
          purpose,
          jurisdiction,
          expected.allowed,
          expected.reason,
        ]);
      }
    }
  });
});

describe('Global Privacy Control', () => {
  const at = new Date('2026-06-01T00:00:00Z');
  const gpcContext = { taxonomy: fixtureTaxonomy, policy: defaultPolicy, at };

  it.each([
    ['US-CA', true],
    ['US-CO', true],
    ['US-VA', false],
    ['DE', false],
    ['BR', false],
  ])('is honoured in %s: %s', (jurisdiction, honoured) => {
    expect(gpcHonouredIn(jurisdiction, defaultPolicy)).toBe(honoured);
  });

  it('opts a Californian out of sale/sharing and targeted ads allowed by default', () => {
    expect(gpcOptOuts(initialState(), 'US-CA', gpcContext)).toEqual([
      { purpose: 'data.sale_sharing', allowedSince: null },
      { purpose: 'ads.targeted', allowedSince: null },
    ]);
  });

  it('records nothing where the law does not make GPC an opt-out, or nothing is allowed', () => {
    expect(gpcOptOuts(initialState(), 'US-VA', gpcContext)).toEqual([]);
    expect(gpcOptOuts(initialState(), 'DE', gpcContext)).toEqual([]);
    const optedOut = foldEvents([
      fixtureEvent({ purpose: 'data', action: 'WITHDRAW', jurisdiction: 'US-CA' }),
      fixtureEvent({ purpose: 'ads', action: 'WITHDRAW', jurisdiction: 'US-CA' }),
    ]);
    expect(gpcOptOuts(optedOut, 'US-CA', gpcContext)).toEqual([]);
  });

  it('opts out of an earlier explicit grant, naming it, but not one made in the same request', () => {
    const grant = fixtureEvent({ purpose: 'data.sale_sharing', jurisdiction: 'US-CA' });
    const state = foldEvents([grant]);
    expect(gpcOptOuts(state, 'US-CA', gpcContext)).toContainEqual({
      purpose: 'data.sale_sharing',
      allowedSince: grant.eventId,
    });
    expect(
      gpcOptOuts(state, 'US-CA', { ...gpcContext, grantedInRequest: 'data' }).map(
        (optOut) => optOut.purpose,
      ),
    ).toEqual(['ads.targeted']);
  });
});
