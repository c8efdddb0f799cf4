import { fixtureEvent, fixtureTaxonomy } from './consent-domain.fixtures';
import type { ConsentEvent } from './consent-event';
import { validateProposedEvent } from './consent-event.validation';
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
