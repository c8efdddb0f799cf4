import { fixtureEvent } from './consent-domain.fixtures';
import { createTaxonomy } from './purpose-taxonomy';
import type { PurposeDefinition } from './purpose-taxonomy';
import { addMonths, renewalMonths, withRenewal } from './renewal';

const purpose = (id: string, renewEveryMonths?: number): PurposeDefinition => ({
  id,
  description: id,
  basis: 'consent',
  dataCategories: ['behavioural'],
  usCategory: 'other',
  ...(renewEveryMonths ? { renewEveryMonths } : {}),
});

const taxonomy = createTaxonomy('renewal-test', [
  purpose('ml'),
  purpose('ml.training', 12),
  purpose('ml.training.vision', 6),
  purpose('marketing', 24),
  purpose('marketing.email'),
  purpose('analytics'),
]);

describe('renewal', () => {
  it('takes the shortest period of the purpose, what is above it and what its grant decides below', () => {
    expect(renewalMonths(taxonomy, 'ml.training.vision')).toBe(6);
    expect(renewalMonths(taxonomy, 'ml.training')).toBe(6);
    expect(renewalMonths(taxonomy, 'ml')).toBe(6);
    expect(renewalMonths(taxonomy, 'marketing.email')).toBe(24);
    expect(renewalMonths(taxonomy, 'analytics')).toBeNull();
  });

  it('counts calendar months in UTC, the end of a month staying in its month', () => {
    expect(addMonths(new Date('2026-01-31T10:00:00Z'), 1)).toEqual(
      new Date('2026-02-28T10:00:00Z'),
    );
    expect(addMonths(new Date('2027-12-15T23:30:00Z'), 12)).toEqual(
      new Date('2028-12-15T23:30:00Z'),
    );
    expect(addMonths(new Date('2027-08-31T00:00:00Z'), 6)).toEqual(
      new Date('2028-02-29T00:00:00Z'),
    );
  });

  it('makes a grant lapse at its renewal unless the channel sent a sooner expiry', () => {
    const occurredAt = new Date('2026-03-01T09:00:00Z');
    const grant = fixtureEvent({ purpose: 'ml.training', action: 'GRANT', occurredAt });
    expect(withRenewal(grant, taxonomy).expiresAt).toEqual(new Date('2026-09-01T09:00:00Z'));
    const sooner = { ...grant, expiresAt: new Date('2026-04-01T00:00:00Z') };
    expect(withRenewal(sooner, taxonomy)).toBe(sooner);
    const later = { ...grant, expiresAt: new Date('2030-01-01T00:00:00Z') };
    expect(withRenewal(later, taxonomy).expiresAt).toEqual(new Date('2026-09-01T09:00:00Z'));
  });

  it('leaves withdrawals and purposes without renewal as they are', () => {
    const withdrawal = fixtureEvent({ purpose: 'ml.training', action: 'WITHDRAW' });
    expect(withRenewal(withdrawal, taxonomy)).toBe(withdrawal);
    const grant = fixtureEvent({ purpose: 'analytics', action: 'GRANT' });
    expect(withRenewal(grant, taxonomy)).toBe(grant);
  });
});
