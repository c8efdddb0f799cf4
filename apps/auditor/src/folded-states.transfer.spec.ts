import { foldEvents, initialState } from '@consent-ledger/consent-domain';
import type { SubjectConsentState } from '@consent-ledger/consent-domain';
import { fixtureEvent } from '@consent-ledger/consent-domain/consent-domain.fixtures';
import { packStates, unpackStates } from './folded-states.transfer';

describe('folded states handed from a worker thread', () => {
  it('come back equal, field by field: choices, notices or none, expiries, places, age bands, and nulls', () => {
    const states = new Map<string, SubjectConsentState>([
      [
        'subject-1',
        foldEvents([
          fixtureEvent({ purpose: 'marketing.email', jurisdiction: 'DE' }),
          fixtureEvent({
            purpose: 'ml.training',
            action: 'WITHDRAW',
            channel: 'EMAIL_LINK',
            method: 'UNSUBSCRIBE_LINK',
            notice: null,
            jurisdiction: 'FR',
          }),
          fixtureEvent({
            purpose: 'ads.targeted',
            legalBasis: 'OPT_OUT_NOTICE',
            expiresAt: new Date(Date.UTC(2027, 5, 1)),
            recordedAt: new Date(Date.UTC(2026, 1, 1, 12)),
            ageBand: 'UNDER_16',
            notice: { noticeId: 'ads', version: '7', textSha256: 'b'.repeat(64) },
          }),
        ]),
      ],
      ['subject-2', foldEvents([fixtureEvent({ subjectId: 'subject-2', jurisdiction: 'US-CA' })])],
      // A subject asked about with no events: nothing known.
      ['subject-3', initialState()],
    ]);
    const packed = packStates(states);
    // Only strings and typed arrays travel.
    expect(packed.ints).toBeInstanceOf(Int32Array);
    expect(packed.times).toBeInstanceOf(Float64Array);
    expect(unpackStates(packed)).toStrictEqual(states);
  });

  it('packs nothing into nothing', () => {
    expect(unpackStates(packStates(new Map()))).toStrictEqual(new Map());
  });
});
