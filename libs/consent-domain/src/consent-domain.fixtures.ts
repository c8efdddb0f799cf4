import type { ConsentEvent } from './consent-event';
import { createTaxonomy } from './purpose-taxonomy';
import type { PurposeDefinition } from './purpose-taxonomy';

const purpose = (
  id: string,
  basis: 'consent' | 'contract',
  usCategory: PurposeDefinition['usCategory'],
): PurposeDefinition => ({
  id,
  description: id,
  basis,
  dataCategories: ['behavioural'],
  usCategory,
});

/** A taxonomy with the shape of the shipped default, for tests of pure code. */
export const fixtureTaxonomy = createTaxonomy('test', [
  purpose('transactional', 'contract', 'other'),
  purpose('marketing', 'consent', 'other'),
  purpose('marketing.email', 'consent', 'other'),
  purpose('marketing.sms', 'consent', 'other'),
  purpose('ads', 'consent', 'targeted_advertising'),
  purpose('ads.targeted', 'consent', 'targeted_advertising'),
  purpose('data', 'consent', 'sale_sharing'),
  purpose('data.sale_sharing', 'consent', 'sale_sharing'),
  purpose('ml', 'consent', 'profiling'),
  purpose('ml.training', 'consent', 'profiling'),
  purpose('sensitive', 'consent', 'sensitive'),
  purpose('sensitive.processing', 'consent', 'sensitive'),
]);

let counter = 0;

/** A valid event; override what the test is about. Ids are unique and time-ordered. */
export function fixtureEvent(overrides: Partial<ConsentEvent> = {}): ConsentEvent {
  counter += 1;
  const occurredAt = overrides.occurredAt ?? new Date(Date.UTC(2026, 0, 1, 0, 0, counter));
  return {
    eventId: `0190a000-0000-7000-8000-${String(counter).padStart(12, '0')}`,
    subjectId: 'subject-1',
    purpose: 'marketing.email',
    action: 'GRANT',
    jurisdiction: 'DE',
    legalBasis: 'CONSENT',
    channel: 'WEB',
    method: 'BANNER',
    notice: { noticeId: 'privacy', version: '3', textSha256: 'a'.repeat(64) },
    occurredAt,
    recordedAt: occurredAt,
    expiresAt: null,
    actor: { type: 'SUBJECT', id: null },
    evidence: null,
    ageBand: null,
    idempotencyKey: `key-${counter}`,
    previousEventHash: null,
    ...overrides,
  };
}
