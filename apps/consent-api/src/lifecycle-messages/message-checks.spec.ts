import type { LatestChoice, LifecycleMessage } from '@consent-ledger/persistence';
import { checkMessage, choicesByKey } from './message-checks';

const at = new Date('2026-12-07T12:00:00Z');
const choice = (purpose: string, overrides: Partial<LatestChoice> = {}): LatestChoice => ({
  subjectId: 's1',
  purpose,
  action: 'GRANT',
  eventId: 'g1',
  occurredAt: new Date('2026-01-01T00:00:00Z'),
  expiresAt: null,
  notice: { noticeId: 'privacy-notice', version: '2', textSha256: 'x' },
  jurisdiction: 'DE',
  legalBasis: 'CONSENT',
  ...overrides,
});
const reconsent: LifecycleMessage = {
  messageKey: 'reconsent:c:s1:1',
  kind: 'RECONSENT_REMINDER',
  subjectId: 's1',
  campaignId: 'c',
  details: {
    purposes: ['marketing.email', 'ml.training'],
    step: 1,
    notice: { noticeId: 'privacy-notice', version: '3' },
  },
  dueAt: at,
  attempts: 1,
};
const renewal = (kind: 'RENEWAL_REMINDER' | 'CONSENT_LAPSED', expiresAt: Date) =>
  ({
    ...reconsent,
    messageKey: `${kind}:g1`,
    kind,
    campaignId: null,
    details: { purposes: ['ml.training'], grantEventId: 'g1', expiresAt: expiresAt.toISOString() },
  }) satisfies LifecycleMessage;

describe('checkMessage', () => {
  it('asks again while any purpose of the campaign rests on the old notice', () => {
    const choices = choicesByKey([
      choice('marketing.email', {
        notice: { noticeId: 'privacy-notice', version: '3', textSha256: 'y' },
      }),
      choice('ml.training'),
    ]);
    expect(checkMessage(reconsent, choices, at)).toEqual({ send: true });
  });

  it('stops once every purpose was answered, by a new grant or a withdrawal', () => {
    const choices = choicesByKey([
      choice('marketing.email', {
        notice: { noticeId: 'privacy-notice', version: '3', textSha256: 'y' },
      }),
      choice('ml.training', { action: 'WITHDRAW' }),
    ]);
    expect(checkMessage(reconsent, choices, at)).toEqual({ send: false, reason: 'answered' });
  });

  it('reminds of a renewal only while the grant stands, and never after a withdrawal', () => {
    const expiresAt = new Date(at.getTime() + 60_000);
    const standing = choicesByKey([choice('ml.training', { expiresAt })]);
    expect(checkMessage(renewal('RENEWAL_REMINDER', expiresAt), standing, at)).toEqual({
      send: true,
    });
    const withdrawn = choicesByKey([choice('ml.training', { action: 'WITHDRAW', eventId: 'w1' })]);
    expect(checkMessage(renewal('RENEWAL_REMINDER', expiresAt), withdrawn, at)).toEqual({
      send: false,
      reason: 'renewed-or-withdrawn',
    });
    expect(checkMessage(renewal('CONSENT_LAPSED', at), withdrawn, at).send).toBe(false);
  });

  it('sends nothing to an erased person, whatever their grants say', () => {
    const erased = choicesByKey([
      choice('marketing.email'),
      choice('ml.training'),
      choice('*', { action: 'ERASE', eventId: 'x1', notice: null }),
    ]);
    expect(checkMessage(reconsent, erased, at)).toEqual({ send: false, reason: 'erased' });
  });

  it('tells of a lapse once the grant lapsed, its EXPIRE recorded or not', () => {
    const lapsed = choicesByKey([choice('ml.training', { expiresAt: at })]);
    expect(checkMessage(renewal('CONSENT_LAPSED', at), lapsed, at)).toEqual({ send: true });
    const expired = choicesByKey([
      choice('ml.training', { action: 'EXPIRE', eventId: 'e1', occurredAt: at }),
    ]);
    expect(checkMessage(renewal('CONSENT_LAPSED', at), expired, at)).toEqual({ send: true });
  });
});
