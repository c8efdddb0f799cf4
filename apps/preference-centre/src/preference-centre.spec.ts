import { loadConsentPolicy } from '@consent-ledger/config';
import type { PurposeState } from './ledger/consent-api.client';
import { purposeRows } from './pages/preference-view';
import type { PurposePolicy } from './pages/preference-view';
import { csrfMatches, SessionCookies } from './session/session-cookie';
import { AttemptLimiter } from './sign-in/attempt-limiter';
import { loadCentreTexts, message } from './texts/centre-texts';
import { negotiateLocale } from './texts/locales';

const policy = loadConsentPolicy({
  file: 'deploy/policy/consent-policy.yaml',
  strictestEverywhere: false,
});
const texts = loadCentreTexts('deploy/policy/preference-centre.yaml', policy.taxonomy);
const policies = new Map<string, PurposePolicy>(
  [...policy.taxonomy.purposes].map(([id, purpose]) => [id, purpose]),
);

const state = (purpose: string, overrides: Partial<PurposeState> = {}): PurposeState => ({
  purpose,
  allowed: false,
  reason: 'NO_CONSENT_GIVEN',
  basis: 'CONSENT',
  regime: 'GDPR',
  sinceEventId: null,
  decidedBy: null,
  choice: null,
  ...overrides,
});

describe('the preference centre, pure parts', () => {
  it('picks the language the person chose, else the best of Accept-Language, else English', () => {
    expect(negotiateLocale('fr-CA,fr;q=0.9,en;q=0.5')).toBe('fr');
    expect(negotiateLocale('it-IT,it;q=0.9,de;q=0.8,en;q=0.7')).toBe('de');
    expect(negotiateLocale('en;q=0.2,es;q=0.8')).toBe('es');
    expect(negotiateLocale('de;q=0,pt')).toBe('en');
    expect(negotiateLocale(undefined)).toBe('en');
    expect(negotiateLocale('de', 'es')).toBe('es');
    expect(negotiateLocale('de', 'xx')).toBe('de');
  });

  it('fills messages in the language, falling back to English for nothing missing', () => {
    expect(message(texts, 'de', 'saved', { title: 'X', state: 'aus' })).toBe(
      'Gespeichert: X ist jetzt aus. Unsere Systeme werden informiert.',
    );
    for (const locale of ['en', 'de', 'fr', 'es'] as const)
      expect(Object.keys(texts.messages[locale]).sort()).toEqual(
        Object.keys(texts.messages.en).sort(),
      );
  });

  it('shows a contract purpose as no choice, a consent purpose as a switch, and the US opt-outs as the law words them', () => {
    const gdpr = purposeRows(
      [state('transactional', { allowed: true, basis: 'CONTRACT' }), state('data.sale_sharing')],
      policies,
      texts,
      'en',
    );
    expect(gdpr.map((row) => [row.id, row.kind, row.nextAction])).toEqual([
      ['transactional', 'contract', undefined],
      ['data.sale_sharing', 'switch', 'GRANT'],
    ]);
    const california = purposeRows(
      [
        state('data.sale_sharing', { allowed: true, regime: 'CCPA_CPRA' }),
        state('sensitive.processing', { allowed: true, regime: 'CCPA_CPRA' }),
        state('ads.targeted', { allowed: true, regime: 'CCPA_CPRA' }),
      ],
      policies,
      texts,
      'en',
    );
    expect(california.map((row) => [row.id, row.kind, row.actionLabel])).toEqual([
      ['ads.targeted', 'switch', 'Switch off'],
      ['data.sale_sharing', 'opt-out-request', 'Opt out'],
      ['sensitive.processing', 'opt-out-request', 'Opt out'],
    ]);
    expect(california.find((row) => row.id === 'data.sale_sharing')?.requestLabel).toBe(
      'Do Not Sell or Share My Personal Information',
    );
    expect(california.find((row) => row.id === 'sensitive.processing')?.requestLabel).toBe(
      'Limit the Use of My Sensitive Personal Information',
    );
    expect(california.find((row) => row.id === 'ads.targeted')?.kind).toBe('switch');
    // Virginia words no "limit the use": sensitive data is opt-in there
    const virginia = purposeRows(
      [state('sensitive.processing', { regime: 'US_STATE_OPT_OUT' })],
      policies,
      texts,
      'en',
    );
    expect(virginia[0]?.kind).toBe('switch');
  });

  it('says since when a choice stands, and when a grant expired', () => {
    const [on, expired] = purposeRows(
      [
        state('marketing.email', {
          allowed: true,
          reason: 'CONSENT_GRANTED',
          choice: {
            eventId: 'e1',
            purpose: 'marketing.email',
            action: 'GRANT',
            occurredAt: '2026-03-01T10:00:00Z',
            expiresAt: null,
            method: 'BANNER',
            notice: null,
          },
        }),
        state('marketing.sms', {
          reason: 'CONSENT_EXPIRED',
          choice: {
            eventId: 'e2',
            purpose: 'marketing.sms',
            action: 'GRANT',
            occurredAt: '2025-03-01T10:00:00Z',
            expiresAt: '2026-03-01T10:00:00Z',
            method: 'BANNER',
            notice: null,
          },
        }),
      ],
      policies,
      texts,
      'en',
    );
    expect(on?.stateText).toBe('On since March 1, 2026');
    expect(expired?.stateText).toBe('Off: your agreement expired on March 1, 2026');
  });

  it('asks to confirm a grant given under an older version of the notice it shows', () => {
    const grantUnder = (version: string) =>
      state('marketing.email', {
        allowed: true,
        reason: 'CONSENT_GRANTED',
        choice: {
          eventId: 'e1',
          purpose: 'marketing.email',
          action: 'GRANT',
          occurredAt: '2026-03-01T10:00:00Z',
          expiresAt: null,
          method: 'BANNER',
          notice: { noticeId: texts.notice.noticeId, version },
        },
      });
    const [older] = purposeRows([grantUnder('2')], policies, texts, 'en');
    expect(older).toMatchObject({
      stateText:
        'On since March 1, 2026. You agreed under an earlier version of our privacy notice: please confirm you want to keep it on',
      nextAction: 'WITHDRAW',
      confirmLabel: 'Keep it on',
    });
    const [current] = purposeRows([grantUnder(texts.notice.version)], policies, texts, 'en');
    expect(current?.confirmLabel).toBeUndefined();
  });

  it('keeps a session in a signed cookie that a changed or old cookie cannot replace', () => {
    const cookies = new SessionCookies('s'.repeat(40), 1_800, false);
    const session = cookies.open('subject-1', 'DE', 'lk-1', 1_000);
    const header = cookies.header(session).split(';')[0]!;
    expect(cookies.read(header, 1_500)).toEqual(session);
    expect(cookies.read(header, 2_800)).toBeUndefined();
    const [name, value] = header.split('=');
    const [payload, signature] = value!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...session, subjectId: 'someone-else' })).toString(
      'base64url',
    );
    expect(cookies.read(`${name}=${forged}.${signature}`, 1_500)).toBeUndefined();
    expect(cookies.read(`${name}=${payload}.${signature}x`, 1_500)).toBeUndefined();
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, 'forged')).toBe(false);
    expect(cookies.header(session)).toContain('SameSite=Lax');
    expect(new SessionCookies('s'.repeat(40), 1_800, true, true).header(session)).toMatch(
      /^__Host-pc-session=.*SameSite=None; Secure; Partitioned/,
    );
  });

  it('limits attempts per visitor in a sliding window', () => {
    const limiter = new AttemptLimiter(2, 1_000);
    expect([limiter.take('a', 0), limiter.take('a', 10), limiter.take('a', 20)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limiter.take('b', 20)).toBe(true);
    expect(limiter.take('a', 1_011)).toBe(true);
  });
});
