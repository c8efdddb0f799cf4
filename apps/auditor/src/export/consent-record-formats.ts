import type {
  ConsentAction,
  ConsentEvent,
  LegalBasis,
  PurposeTaxonomy,
} from '@consent-ledger/consent-domain';

/**
 * Consent records in the two interchange formats auditors and other systems read: ISO/IEC TS
 * 27560:2023 (the consent record information structure, as JSON with its element names) and the
 * W3C Data Privacy Vocabulary (JSON-LD, DPV 2), one record per event. Pure: the events in, the
 * documents out. The subject appears by its pseudonymous id only; identifiers stay in the vault.
 */

/** The schema version our ISO/IEC TS 27560 records declare. */
export const ISO_27560_SCHEMA = 'ISO/IEC TS 27560:2023; consent-ledger profile 1';

/** Elements every ISO/IEC TS 27560 record of ours carries (the test checks each). */
export const ISO_27560_REQUIRED = [
  'schema_version',
  'record_id',
  'pii_principal_id',
  'record_state',
  'event',
  'processing',
  'notice',
  'jurisdiction',
] as const;

/** Properties every DPV record of ours carries (the test checks each). */
export const DPV_REQUIRED = [
  '@id',
  '@type',
  'dpv:hasDataSubject',
  'dpv:hasPurpose',
  'dpv:hasLegalBasis',
  'dpv:hasConsentStatus',
  'dpv:hasJurisdiction',
] as const;

const eventTypes: Record<ConsentAction, string> = {
  GRANT: 'consent given',
  WITHDRAW: 'consent withdrawn',
  EXPIRE: 'consent expired',
  ERASE: 'consent terminated (erasure of the PII principal)',
};

const recordStates: Record<ConsentAction, string> = {
  GRANT: 'active',
  WITHDRAW: 'withdrawn',
  EXPIRE: 'expired',
  ERASE: 'terminated',
};

const consentStatuses: Record<ConsentAction, string> = {
  GRANT: 'dpv:ConsentGiven',
  WITHDRAW: 'dpv:ConsentWithdrawn',
  EXPIRE: 'dpv:ConsentExpired',
  ERASE: 'dpv:ConsentRevoked',
};

const legalBases: Record<LegalBasis, string> = {
  CONSENT: 'dpv:Consent',
  EXPLICIT_CONSENT: 'dpv:ExplicitlyExpressedConsent',
  CONTRACT: 'dpv:Contract',
  LEGAL_OBLIGATION: 'dpv:LegalObligation',
  LEGITIMATE_INTERESTS: 'dpv:LegitimateInterest',
  // No DPV concept says "notice at collection with a right to opt out" (US state laws).
  OPT_OUT_NOTICE: 'cl:OptOutNotice',
};

const subjectIri = (subjectId: string) =>
  `urn:consent-ledger:subject:${encodeURIComponent(subjectId)}`;
const purposeIri = (purpose: string) => `urn:consent-ledger:purpose:${encodeURIComponent(purpose)}`;

/** The purposes an event is about: its own, or every purpose of the taxonomy for an ERASE. */
function purposesOf(event: ConsentEvent, taxonomy: PurposeTaxonomy) {
  const ids = event.action === 'ERASE' ? [...taxonomy.purposes.keys()] : [event.purpose];
  return ids.map((id) => {
    const purpose = taxonomy.purposes.get(id);
    return {
      id,
      description: purpose?.description ?? null,
      dataCategories: [...(purpose?.dataCategories ?? [])],
    };
  });
}

/** One event as an ISO/IEC TS 27560 consent record. */
export function iso27560Record(event: ConsentEvent, taxonomy: PurposeTaxonomy) {
  return {
    schema_version: ISO_27560_SCHEMA,
    record_id: event.eventId,
    pii_principal_id: event.subjectId,
    record_state: recordStates[event.action],
    event: [
      {
        event_time: event.occurredAt.toISOString(),
        recorded_time: event.recordedAt.toISOString(),
        event_type: eventTypes[event.action],
        event_by: event.actor.type === 'SUBJECT' ? 'PII principal' : event.actor.type.toLowerCase(),
        collection_channel: event.channel,
        collection_method: event.method,
        evidence_reference: event.evidence?.reference ?? null,
      },
    ],
    processing: purposesOf(event, taxonomy).map((purpose) => ({
      purpose: purpose.id,
      purpose_description: purpose.description,
      lawful_basis: event.legalBasis,
      pii_categories: purpose.dataCategories,
    })),
    notice: event.notice
      ? {
          notice_id: event.notice.noticeId,
          notice_version: event.notice.version,
          notice_text_sha256: event.notice.textSha256,
        }
      : null,
    jurisdiction: event.jurisdiction,
    expiry_time: event.expiresAt?.toISOString() ?? null,
    integrity: { previous_record_hash: event.previousEventHash },
  };
}

/** The JSON-LD context of our DPV documents. */
export const DPV_CONTEXT = {
  dpv: 'https://w3id.org/dpv#',
  dct: 'http://purl.org/dc/terms/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  loc: 'https://w3id.org/dpv/loc#',
  /** Our own terms, where DPV has none. */
  cl: 'urn:consent-ledger:vocabulary#',
} as const;

/** One event as a DPV consent record (a node of the document's @graph). */
export function dpvRecord(event: ConsentEvent, taxonomy: PurposeTaxonomy) {
  const purposes = purposesOf(event, taxonomy);
  return {
    '@id': `urn:uuid:${event.eventId}`,
    '@type': 'dpv:ConsentRecord',
    'dct:identifier': event.eventId,
    'dpv:hasDataSubject': { '@id': subjectIri(event.subjectId), '@type': 'dpv:DataSubject' },
    'dpv:hasPurpose': purposes.map((purpose) => ({
      '@id': purposeIri(purpose.id),
      '@type': 'dpv:Purpose',
      'dct:identifier': purpose.id,
      ...(purpose.description ? { 'dct:description': purpose.description } : {}),
    })),
    'dpv:hasLegalBasis': { '@id': legalBases[event.legalBasis] },
    'dpv:hasConsentStatus': {
      '@type': consentStatuses[event.action],
      'dpv:isIndicatedAtTime': {
        '@value': event.occurredAt.toISOString(),
        '@type': 'xsd:dateTime',
      },
      'dpv:isIndicatedBy': {
        '@id': event.actor.type === 'SUBJECT' ? 'dpv:DataSubject' : 'dpv:DataController',
      },
      'dpv:hasIndicationMethod': `${event.channel}/${event.method}`,
    },
    'dpv:hasJurisdiction': { '@id': `loc:${event.jurisdiction}` },
    ...dpvNoticeAndExpiry(event),
    'dct:created': { '@value': event.recordedAt.toISOString(), '@type': 'xsd:dateTime' },
  };
}

/** The notice shown and the grant's expiry, where the event has them. */
function dpvNoticeAndExpiry(event: ConsentEvent) {
  return {
    ...(event.notice
      ? {
          'dpv:hasNotice': {
            '@type': 'dpv:ConsentNotice',
            'dct:identifier': event.notice.noticeId,
            'dct:hasVersion': event.notice.version,
            'cl:noticeTextSha256': event.notice.textSha256,
          },
        }
      : {}),
    ...(event.expiresAt
      ? {
          'dpv:hasExpiryTime': { '@value': event.expiresAt.toISOString(), '@type': 'xsd:dateTime' },
        }
      : {}),
  };
}

/** The events as one DPV JSON-LD document. */
export function dpvDocument(events: readonly ConsentEvent[], taxonomy: PurposeTaxonomy) {
  return {
    '@context': DPV_CONTEXT,
    '@graph': events.map((event) => dpvRecord(event, taxonomy)),
  };
}
