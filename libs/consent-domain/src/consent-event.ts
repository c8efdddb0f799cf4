/**
 * A consent event as the domain sees it: the fields of schemas/consent-event/v<N>.avsc with
 * times as Dates. Plain data; the Avro mapping lives in libs/kafka.
 */
/** A pseudonymous subject id: letters, digits and . _ : @ - (never an email address or phone number). */
export const subjectIdPattern = /^[A-Za-z0-9._:@-]+$/;

export const consentActions = ['GRANT', 'WITHDRAW', 'EXPIRE', 'ERASE'] as const;

/**
 * The purpose of an ERASE event, and of nothing else: the person asked to be erased, so every
 * purpose is denied from then on (contract ones too) and no event of theirs is recorded again.
 */
export const EVERY_PURPOSE = '*';
export type ConsentAction = (typeof consentActions)[number];

export const legalBases = [
  'CONSENT',
  'EXPLICIT_CONSENT',
  'CONTRACT',
  'LEGAL_OBLIGATION',
  'LEGITIMATE_INTERESTS',
  'OPT_OUT_NOTICE',
] as const;
export type LegalBasis = (typeof legalBases)[number];

export const collectionChannels = [
  'WEB',
  'APP',
  'EMAIL_LINK',
  'CRM',
  'SUPPORT',
  'API',
  'IMPORT',
  'SYSTEM',
] as const;
export type CollectionChannel = (typeof collectionChannels)[number];

export const collectionMethods = [
  'BANNER',
  'CHECKBOX',
  'PREFERENCE_CENTRE',
  'UNSUBSCRIBE_LINK',
  'GLOBAL_PRIVACY_CONTROL',
  'AGENT',
  'IMPORT',
  'SYSTEM',
] as const;
export type CollectionMethod = (typeof collectionMethods)[number];

export const actorTypes = ['SUBJECT', 'AGENT', 'SYSTEM'] as const;
export type ActorType = (typeof actorTypes)[number];

export const ageBands = ['UNDER_13', 'UNDER_16', 'ADULT'] as const;
export type AgeBand = (typeof ageBands)[number];

export interface NoticeReference {
  readonly noticeId: string;
  readonly version: string;
  readonly textSha256: string;
}

export interface Evidence {
  readonly ipAddressHash: string | null;
  readonly userAgent: string | null;
  readonly reference: string | null;
}

export interface ConsentEvent {
  readonly eventId: string;
  readonly subjectId: string;
  readonly purpose: string;
  readonly action: ConsentAction;
  readonly jurisdiction: string;
  readonly legalBasis: LegalBasis;
  readonly channel: CollectionChannel;
  readonly method: CollectionMethod;
  readonly notice: NoticeReference | null;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
  readonly expiresAt: Date | null;
  readonly actor: { readonly type: ActorType; readonly id: string | null };
  readonly evidence: Evidence | null;
  readonly ageBand: AgeBand | null;
  readonly idempotencyKey: string;
  readonly previousEventHash: string | null;
  /**
   * Who wrote the event: the API key id whose request recorded it, or `system:<component>` for
   * the system's own events. Absent (or null) in events written before it was kept.
   */
  readonly recordedBy?: string | null;
}
