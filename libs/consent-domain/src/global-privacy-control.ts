import type { ConsentPolicy } from './consent-policy';
import type { SubjectConsentState } from './consent-state';
import { decide } from './decide';
import { lineageOf, type PurposeTaxonomy } from './purpose-taxonomy';

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
