import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { validateProposedEvent } from './consent-event.validation';
import type { EventWriterLimits } from './consent-event.validation';
import { defaultPolicy } from './consent-policy';

const now = new Date('2026-06-01T12:00:00Z');
const check = (overrides: Partial<ConsentEvent>) =>
  validateProposedEvent(
    fixtureEvent({ occurredAt: new Date('2026-06-01T11:00:00Z'), ...overrides }),
    {
      taxonomy: fixtureTaxonomy,
      policy: defaultPolicy,
      now,
    },
  );

describe('validateProposedEvent', () => {
  it('accepts a well-formed grant', () => {
    expect(check({})).toEqual([]);
  });

  it.each<[string, Partial<ConsentEvent>, string, string]>([
    ['an unknown purpose', { purpose: 'telepathy' }, 'purpose', 'CONSENT.UNKNOWN_PURPOSE'],
    [
      'a contract purpose',
      { purpose: 'transactional' },
      'purpose',
      'CONSENT.PURPOSE_NOT_CONSENT_BASED',
    ],
    [
      'a malformed jurisdiction',
      { jurisdiction: 'Germany' },
      'jurisdiction',
      'CONSENT.INVALID_JURISDICTION',
    ],
    ['a grant by GPC', { method: 'GLOBAL_PRIVACY_CONTROL' }, 'method', 'CONSENT.GPC_CANNOT_GRANT'],
    [
      'an expiry by the subject',
      { action: 'EXPIRE' },
      'action',
      'CONSENT.EXPIRE_RESERVED_FOR_SYSTEM',
    ],
    ['a consent grant without notice', { notice: null }, 'notice', 'CONSENT.NOTICE_REQUIRED'],
    [
      'sensitive data without explicit consent (GDPR)',
      { purpose: 'sensitive.processing' },
      'legalBasis',
      'CONSENT.EXPLICIT_CONSENT_REQUIRED',
    ],
    [
      'an expiry before the grant',
      { expiresAt: new Date('2026-06-01T10:00:00Z') },
      'expiresAt',
      'CONSENT.EXPIRY_NOT_AFTER_OCCURRENCE',
    ],
    [
      'a grant from the future',
      { occurredAt: new Date('2026-06-01T12:10:00Z') },
      'occurredAt',
      'CONSENT.OCCURRED_IN_FUTURE',
    ],
  ])('rejects %s', (_case, overrides, field, code) => {
    expect(check(overrides)).toEqual([expect.objectContaining({ field, code })]);
  });

  it('accepts a withdrawal without notice and a GPC opt-out', () => {
    expect(check({ action: 'WITHDRAW', notice: null })).toEqual([]);
    expect(
      check({
        action: 'WITHDRAW',
        method: 'GLOBAL_PRIVACY_CONTROL',
        notice: null,
        jurisdiction: 'US-CA',
      }),
    ).toEqual([]);
  });

  it('accepts sensitive processing under explicit consent, and under CCPA without it', () => {
    expect(check({ purpose: 'sensitive.processing', legalBasis: 'EXPLICIT_CONSENT' })).toEqual([]);
    expect(check({ purpose: 'sensitive.processing', jurisdiction: 'US-CA' })).toEqual([]);
  });
});

describe('validateProposedEvent for a writer with limits', () => {
  const DAY = 86_400_000;
  const writer = { backdating: { maxMs: 7 * DAY, importMaxMs: 365 * DAY } };
  const checkAs = (overrides: Partial<ConsentEvent>, limits: EventWriterLimits) =>
    validateProposedEvent(fixtureEvent(overrides), {
      taxonomy: fixtureTaxonomy,
      policy: defaultPolicy,
      now,
      writer: limits,
    }).map((problem) => [problem.field, problem.code]);
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);

  it('accepts a live channel within its window and an import within the longer one', () => {
    expect(checkAs({ occurredAt: daysAgo(6), channel: 'WEB' }, writer)).toEqual([]);
    expect(checkAs({ occurredAt: daysAgo(300), channel: 'IMPORT' }, writer)).toEqual([]);
  });

  it('refuses a live channel backdated past its window, and an import past the longer one', () => {
    expect(checkAs({ occurredAt: daysAgo(8), channel: 'WEB' }, writer)).toEqual([
      ['occurredAt', 'CONSENT.OCCURRED_TOO_LONG_AGO'],
    ]);
    expect(checkAs({ occurredAt: daysAgo(366), channel: 'IMPORT' }, writer)).toEqual([
      ['occurredAt', 'CONSENT.OCCURRED_TOO_LONG_AGO'],
    ]);
  });

  it('sets no window for the system (an expiry recorded late is still on time)', () => {
    expect(checkAs({ occurredAt: daysAgo(3000) }, {})).toEqual([]);
  });

  it('refuses a channel the key is not bound to', () => {
    const bound: EventWriterLimits = { allowedChannels: ['WEB', 'APP'] };
    expect(checkAs({ channel: 'APP', occurredAt: daysAgo(0) }, bound)).toEqual([]);
    expect(checkAs({ channel: 'IMPORT', occurredAt: daysAgo(0) }, bound)).toEqual([
      ['channel', 'CONSENT.CHANNEL_NOT_ALLOWED_FOR_KEY'],
    ]);
  });
});
