import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { defaultPolicy } from './consent-policy';
import { evolve, initialState } from './consent-state';
import { decide } from './decide';
import type { DecisionReason } from './decide';
import { decisionChanges } from './decision-changes';
import { regimes } from './jurisdiction-regimes';
import type { Regime } from './jurisdiction-regimes';
import { decideFromView } from './view-decision';
import type { PublishedDecision, SubjectFacts } from './view-decision';

/**
 * One table, two answers: the read model's `decide` over the folded history, and the decision
 * view's answer over what the projector published for the same history. Each row is one set of
 * facts; both must give its answer.
 */
const context = { taxonomy: fixtureTaxonomy, policy: defaultPolicy };

/** What the projector publishes for a history: each purpose's latest changed decision. */
function publishedFor(history: readonly ConsentEvent[]): Map<string, PublishedDecision> {
  const published = new Map<string, PublishedDecision & { order: number }>();
  let state = initialState();
  history.forEach((event, order) => {
    const next = evolve(state, event);
    for (const { after } of decisionChanges(state, next, event, context))
      published.set(after.purpose, {
        allowed: after.allowed,
        reason: after.reason,
        basis: after.basis,
        regime: after.regime,
        decidedBy: after.decidedBy,
        causeEventId: event.eventId,
        policyVersion: defaultPolicy.version,
        allowedUntil: after.allowedUntil ?? null,
        order,
      });
    state = next;
  });
  return published;
}

/** What the view knows of the subject from its published decisions (as the decision API reads it). */
function factsFrom(published: ReadonlyMap<string, PublishedDecision & { order?: number }>) {
  let regime: Regime | null = null;
  let latest = -1;
  let minor = false;
  for (const record of published.values()) {
    if ((record.order ?? 0) >= latest && (regimes as readonly string[]).includes(record.regime)) {
      regime = record.regime as Regime;
      latest = record.order ?? 0;
    }
    if (record.reason === 'MINOR_OPT_IN_REQUIRED') minor = true;
  }
  return { regime, minor } satisfies SubjectFacts;
}

type Row = [
  facts: string,
  history: () => ConsentEvent[],
  purpose: string,
  askedUnder: string | undefined,
  allowed: boolean,
  reason: DecisionReason,
];

const inGermany = (overrides: Partial<ConsentEvent>) =>
  fixtureEvent({ jurisdiction: 'DE', ...overrides });
const inCalifornia = (overrides: Partial<ConsentEvent>) =>
  fixtureEvent({ jurisdiction: 'US-CA', legalBasis: 'OPT_OUT_NOTICE', ...overrides });

const table: Row[] = [
  ['a subject never seen', () => [], 'marketing.email', undefined, false, 'NO_CONSENT_ON_RECORD'],
  [
    'a subject never seen, asked under GDPR',
    () => [],
    'marketing.email',
    'DE',
    false,
    'OPT_IN_REQUIRED',
  ],
  ['a contract purpose, never seen', () => [], 'transactional', undefined, true, 'CONTRACT_BASIS'],
  [
    'a German grant',
    () => [inGermany({ purpose: 'marketing.email', action: 'GRANT' })],
    'marketing.email',
    undefined,
    true,
    'CONSENT_GRANTED',
  ],
  [
    'a German grant, then a withdrawal',
    () => [
      inGermany({ purpose: 'marketing.email', action: 'GRANT' }),
      inGermany({ purpose: 'marketing.email', action: 'WITHDRAW', notice: null }),
    ],
    'marketing.email',
    undefined,
    false,
    'CONSENT_WITHDRAWN',
  ],
  [
    'a grant past its expiry, its EXPIRE event not recorded yet',
    () => [
      inGermany({
        purpose: 'marketing.email',
        action: 'GRANT',
        expiresAt: new Date(Date.UTC(2026, 0, 1, 12)),
      }),
    ],
    'marketing.email',
    undefined,
    false,
    'CONSENT_EXPIRED',
  ],
  [
    'a grant before its expiry',
    () => [
      inGermany({
        purpose: 'marketing.email',
        action: 'GRANT',
        expiresAt: new Date(Date.UTC(2026, 0, 3)),
      }),
    ],
    'marketing.email',
    undefined,
    true,
    'CONSENT_GRANTED',
  ],
  [
    'a grant of the parent purpose',
    () => [inGermany({ purpose: 'marketing', action: 'GRANT' })],
    'marketing.email',
    undefined,
    true,
    'CONSENT_GRANTED',
  ],
  [
    'a German choice about another purpose',
    () => [inGermany({ purpose: 'marketing.email', action: 'GRANT' })],
    'ads.targeted',
    undefined,
    false,
    'OPT_IN_REQUIRED',
  ],
  [
    'a Californian who has not opted out',
    () => [inCalifornia({ purpose: 'marketing.email', action: 'GRANT' })],
    'data.sale_sharing',
    undefined,
    true,
    'OPT_OUT_NOT_EXERCISED',
  ],
  [
    'a Californian opted out by Global Privacy Control',
    () => [
      inCalifornia({
        purpose: 'data.sale_sharing',
        action: 'WITHDRAW',
        method: 'GLOBAL_PRIVACY_CONTROL',
        notice: null,
      }),
    ],
    'data.sale_sharing',
    undefined,
    false,
    'GPC_OPT_OUT',
  ],
  [
    'a Californian minor',
    () => [inCalifornia({ purpose: 'marketing.email', action: 'GRANT', ageBand: 'UNDER_16' })],
    'data.sale_sharing',
    undefined,
    false,
    'MINOR_OPT_IN_REQUIRED',
  ],
  [
    'a Virginian, asked about sensitive data',
    () => [fixtureEvent({ jurisdiction: 'US-VA', purpose: 'marketing.email', action: 'GRANT' })],
    'sensitive.processing',
    undefined,
    false,
    'SENSITIVE_OPT_IN_REQUIRED',
  ],
];

describe('the read model and the decision view agree', () => {
  it.each(table)('on %s', (_facts, history, purpose, askedUnder, allowed, reason) => {
    // Given one history
    const events = history();
    const state = events.reduce(evolve, initialState());
    const published = publishedFor(events);
    const at = new Date(Math.max(Date.UTC(2026, 0, 2), ...events.map((e) => +e.recordedAt)));
    // When both are asked the same question
    const fromReadModel = decide(state, purpose, {
      ...context,
      at,
      ...(askedUnder ? { jurisdiction: askedUnder } : {}),
    });
    const fromView = decideFromView(published.get(purpose), purpose, factsFrom(published), {
      ...context,
      viewBehind: false,
      at,
      ...(askedUnder ? { jurisdiction: askedUnder, jurisdictionMayLoosen: true } : {}),
    });
    // Then they give the same answer, the row's
    expect([fromReadModel.allowed, fromReadModel.reason]).toEqual([allowed, reason]);
    expect([fromView.allowed, fromView.reason]).toEqual([allowed, reason]);
  });
});
