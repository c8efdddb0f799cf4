import {
  fixtureEvent,
  fixtureTaxonomy,
} from '@consent-ledger/consent-domain/consent-domain.fixtures';
import type { ConsentEvent } from '@consent-ledger/consent-domain';
import {
  DPV_REQUIRED,
  dpvDocument,
  ISO_27560_REQUIRED,
  iso27560Record,
} from './consent-record-formats';

const history: ConsentEvent[] = [
  fixtureEvent({ purpose: 'marketing.email', expiresAt: new Date('2027-01-01T00:00:00Z') }),
  fixtureEvent({ purpose: 'marketing.email', action: 'WITHDRAW', notice: null }),
  fixtureEvent({
    purpose: 'ml.training',
    action: 'EXPIRE',
    actor: { type: 'SYSTEM', id: 'consent-expiry' },
  }),
  fixtureEvent({
    purpose: '*',
    action: 'ERASE',
    legalBasis: 'LEGAL_OBLIGATION',
    notice: null,
    actor: { type: 'SYSTEM', id: 'erasure' },
  }),
];

const missing = (record: Record<string, unknown>, required: readonly string[]) =>
  required.filter((field) => record[field] === undefined);

describe('ISO/IEC TS 27560 consent records', () => {
  it.each(history.map((event) => [event.action, event] as const))(
    'a %s event carries every required element',
    (_action, event) => {
      expect(missing(iso27560Record(event, fixtureTaxonomy), ISO_27560_REQUIRED)).toEqual([]);
    },
  );

  it('says what happened, to whom, for what, on which basis and under which notice', () => {
    const [grant, withdrawal, expiry, erasure] = history.map((event) =>
      iso27560Record(event, fixtureTaxonomy),
    );
    expect(grant).toMatchObject({
      record_id: history[0]!.eventId,
      pii_principal_id: 'subject-1',
      record_state: 'active',
      event: [{ event_type: 'consent given', event_by: 'PII principal' }],
      processing: [
        { purpose: 'marketing.email', lawful_basis: 'CONSENT', pii_categories: ['behavioural'] },
      ],
      notice: { notice_id: 'privacy', notice_version: '3', notice_text_sha256: 'a'.repeat(64) },
      jurisdiction: 'DE',
      expiry_time: '2027-01-01T00:00:00.000Z',
    });
    expect(withdrawal).toMatchObject({ record_state: 'withdrawn', notice: null });
    expect(expiry).toMatchObject({ record_state: 'expired', event: [{ event_by: 'system' }] });
    // An erasure ends the consent for every purpose of the taxonomy.
    expect(erasure!.record_state).toBe('terminated');
    expect(erasure!.processing.map((purpose) => purpose.purpose)).toEqual([
      ...fixtureTaxonomy.purposes.keys(),
    ]);
  });
});

describe('W3C DPV consent records', () => {
  const document = dpvDocument(history, fixtureTaxonomy);

  it('is one JSON-LD document with the DPV context and a record per event', () => {
    expect(document['@context'].dpv).toBe('https://w3id.org/dpv#');
    expect(document['@graph']).toHaveLength(history.length);
    for (const record of document['@graph'])
      expect(missing(record as Record<string, unknown>, DPV_REQUIRED)).toEqual([]);
  });

  it('maps each action to its DPV consent status and each basis to its legal basis', () => {
    expect(
      document['@graph'].map((record) => [
        record['dpv:hasConsentStatus']['@type'],
        record['dpv:hasLegalBasis']['@id'],
      ]),
    ).toEqual([
      ['dpv:ConsentGiven', 'dpv:Consent'],
      ['dpv:ConsentWithdrawn', 'dpv:Consent'],
      ['dpv:ConsentExpired', 'dpv:Consent'],
      ['dpv:ConsentRevoked', 'dpv:LegalObligation'],
    ]);
    expect(document['@graph'][0]).toMatchObject({
      '@id': `urn:uuid:${history[0]!.eventId}`,
      'dpv:hasDataSubject': { '@id': 'urn:consent-ledger:subject:subject-1' },
      'dpv:hasJurisdiction': { '@id': 'loc:DE' },
      'dpv:hasNotice': { 'dct:identifier': 'privacy', 'dct:hasVersion': '3' },
    });
  });
});
