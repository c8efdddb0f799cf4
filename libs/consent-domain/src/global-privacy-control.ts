import type { AgeBand, CollectionChannel, Evidence } from './consent-event';
import type { ConsentPolicy } from './consent-policy';
import type { SubjectConsentState } from './consent-state';
import { decide } from './decide';
import { lineageOf } from './purpose-taxonomy';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/** Whether the law of the jurisdiction (or of its country) makes a GPC signal an opt-out. */
export function gpcHonouredIn(jurisdiction: string, policy: ConsentPolicy): boolean {
  const { honouredIn } = policy.globalPrivacyControl;
  return honouredIn.includes(jurisdiction) || honouredIn.includes(jurisdiction.slice(0, 2));
}

/** A purpose a GPC signal opts the person out of, and what currently allows it. */
export interface GpcOptOut {
  readonly purpose: string;
  /** The event that currently allows the purpose, or null when the regime's default does. */
  readonly allowedSince: string | null;
}

/**
 * The purposes a Global Privacy Control signal must opt the person out of now: those the policy
 * lists, where the jurisdiction honours GPC, that are currently allowed. A purpose the request
 * itself grants (the person's explicit choice in the same request) is left alone.
 */
export function gpcOptOuts(
  state: SubjectConsentState,
  jurisdiction: string,
  context: {
    readonly taxonomy: PurposeTaxonomy;
    readonly policy: ConsentPolicy;
    readonly at: Date;
    readonly grantedInRequest?: string;
  },
): GpcOptOut[] {
  if (!gpcHonouredIn(jurisdiction, context.policy)) return [];
  return context.policy.globalPrivacyControl.optOutOf
    .filter(
      (purpose) =>
        context.grantedInRequest === undefined ||
        !lineageOf(context.taxonomy, purpose).includes(context.grantedInRequest),
    )
    .map((purpose) => ({ purpose, decision: decide(state, purpose, { ...context, jurisdiction }) }))
    .filter(({ decision }) => decision.allowed)
    .map(({ purpose, decision }) => ({ purpose, allowedSince: decision.sinceEventId }));
}

/** The fields of a request that its GPC opt-outs carry over (`Time`: a Date or its text). */
export interface GpcSignalSource<Time> {
  readonly subjectId: string;
  readonly jurisdiction: string;
  readonly channel: CollectionChannel;
  readonly occurredAt: Time;
  readonly evidence: Evidence | null;
  readonly ageBand: AgeBand | null;
  readonly idempotencyKey: string;
}

/** The idempotency key of the opt-out a GPC signal records for `purpose`: a retry records it once. */
export function gpcOptOutKey(purpose: string, requestKey: string): string {
  return `gpc:${purpose}:${requestKey}`.slice(0, 200);
}

/** The withdrawal (method GLOBAL_PRIVACY_CONTROL) a GPC signal on `request` records for `purpose`. */
export function gpcOptOutRequest<Time>(request: GpcSignalSource<Time>, purpose: string) {
  // Field for field as it has always been built: the order is part of the request's fingerprint.
  return {
    subjectId: request.subjectId,
    purpose,
    action: 'WITHDRAW' as const,
    jurisdiction: request.jurisdiction,
    legalBasis: 'OPT_OUT_NOTICE' as const,
    channel: request.channel,
    method: 'GLOBAL_PRIVACY_CONTROL' as const,
    notice: null,
    occurredAt: request.occurredAt,
    expiresAt: null,
    actor: { type: 'SUBJECT' as const, id: null },
    evidence: request.evidence,
    ageBand: request.ageBand,
    idempotencyKey: gpcOptOutKey(purpose, request.idempotencyKey),
  };
}

/**
 * The opt-outs a GPC signal on a request implies. A request recorded before (its key among
 * `recordedKeys`) gets again the opt-outs recorded with it then, not a new plan from a state that
 * may already hold them; a new request gets one for each purpose {@link gpcOptOuts} finds allowed.
 */
export function impliedGpcOptOuts<Time>(
  request: GpcSignalSource<Time> & { readonly purpose: string; readonly action: string },
  situation: {
    readonly state: SubjectConsentState;
    readonly recordedKeys: ReadonlySet<string>;
    readonly taxonomy: PurposeTaxonomy;
    readonly policy: ConsentPolicy;
    readonly at: Date;
  },
): Array<ReturnType<typeof gpcOptOutRequest<Time>>> {
  const { recordedKeys, state, ...context } = situation;
  if (recordedKeys.has(request.idempotencyKey))
    return context.policy.globalPrivacyControl.optOutOf
      .filter((purpose) => recordedKeys.has(gpcOptOutKey(purpose, request.idempotencyKey)))
      .map((purpose) => gpcOptOutRequest(request, purpose));
  return gpcOptOuts(state, request.jurisdiction, {
    ...context,
    ...(request.action === 'GRANT' ? { grantedInRequest: request.purpose } : {}),
  }).map(({ purpose }) => gpcOptOutRequest(request, purpose));
}

/** The keys whose use before decides what a retried GPC request records (see impliedGpcOptOuts). */
export function gpcKeysToLookUp(requestKey: string, policy: ConsentPolicy): string[] {
  return [
    requestKey,
    ...policy.globalPrivacyControl.optOutOf.map((purpose) => gpcOptOutKey(purpose, requestKey)),
  ];
}
