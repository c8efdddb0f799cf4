import { EVERY_PURPOSE } from './consent-event';
import type { ConsentEvent } from './consent-event';
import type { ConsentPolicy } from './consent-policy';
import type { SubjectConsentState } from './consent-state';
import { decide } from './decide';
import type { ConsentDecision } from './decide';
import { regimeFor } from './jurisdiction-regimes';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/** A decision that changed because of an event, and what downstream systems must hear of it. */
export interface DecisionChange {
  readonly before: ConsentDecision;
  readonly after: ConsentDecision;
  /**
   * allowed flipped, the first explicit choice replaced the regime's default, or an allowing
   * grant's expiry changed (a renewal).
   */
  readonly suppressionChanged: boolean;
}

/** The purpose and every purpose below it: a choice about `marketing` decides `marketing.email`. */
function purposeAndDescendants(taxonomy: PurposeTaxonomy, purposeId: string): string[] {
  const found: string[] = [];
  const visit = (id: string) => {
    const purpose = taxonomy.purposes.get(id);
    if (!purpose) return;
    found.push(id);
    purpose.children.forEach(visit);
  };
  visit(purposeId);
  return found;
}

/**
 * The regime alone changing (first event of a subject) is not news when the answer is the same;
 * nor is a subject becoming known ("no consent on record" and "opt-in required" deny alike).
 */
const sameDecision = (a: ConsentDecision, b: ConsentDecision) =>
  a.allowed === b.allowed && reasonOf(a) === reasonOf(b) && a.sinceEventId === b.sinceEventId;
const reasonOf = ({ reason }: ConsentDecision) =>
  reason === 'NO_CONSENT_ON_RECORD' ? 'OPT_IN_REQUIRED' : reason;

/**
 * The decisions an event changed, comparing the state before and after it at the event's
 * recorded time. Only consent-based purposes that the event can touch are compared: its purpose
 * and descendants, or every purpose when the subject's jurisdiction or age band changed or the
 * subject was erased (then one more change, for every purpose ('*'), tells downstream systems to
 * delete the person).
 */
export function decisionChanges(
  before: SubjectConsentState,
  after: SubjectConsentState,
  event: ConsentEvent,
  context: { readonly taxonomy: PurposeTaxonomy; readonly policy: ConsentPolicy },
): DecisionChange[] {
  const erased = event.action === 'ERASE';
  const profileChanged =
    erased || before.jurisdiction !== after.jurisdiction || before.ageBand !== after.ageBand;
  const candidates = profileChanged
    ? [...context.taxonomy.purposes.keys()]
    : purposeAndDescendants(context.taxonomy, event.purpose);
  // Before is judged just before the event happened: an EXPIRE event at a grant's expiry then
  // shows as allowed -> denied, which is what downstream systems last heard and must now hear.
  // The options are built once, with one shape: decide runs for every candidate purpose twice.
  const { taxonomy, policy } = context;
  const beforeOptions = {
    taxonomy,
    policy,
    at: new Date(Math.min(event.occurredAt.getTime(), event.recordedAt.getTime()) - 1),
  };
  const afterOptions = { taxonomy, policy, at: event.recordedAt };
  const changes: DecisionChange[] = [];
  for (const purpose of candidates) {
    if (taxonomy.purposes.get(purpose)?.basis !== 'consent') continue;
    const previous = decide(before, purpose, beforeOptions);
    const next = decide(after, purpose, afterOptions);
    if (sameDecision(previous, next)) continue;
    changes.push({
      before: previous,
      after: next,
      suppressionChanged:
        previous.allowed !== next.allowed ||
        (previous.sinceEventId === null && next.sinceEventId !== null) ||
        (next.allowed && untilOf(previous) !== untilOf(next)),
    });
  }
  // Downstream systems hear of the erasure itself once (they delete the person), beside the
  // denial of each purpose.
  if (erased) changes.push(erasureChange(after, event, policy));
  return changes;
}

/**
 * When an allowing decision stops by itself; a grant renewed with a new expiry (or none) is news
 * to the systems that enforce it, though it stays allowed.
 */
const untilOf = (decision: ConsentDecision): number | null =>
  decision.allowedUntil?.getTime() ?? null;

/** The change for every purpose ('*') an ERASE makes: downstream systems delete the person. */
function erasureChange(
  after: SubjectConsentState,
  event: ConsentEvent,
  policy: ConsentPolicy,
): DecisionChange {
  const erasure: ConsentDecision = {
    purpose: EVERY_PURPOSE,
    allowed: false,
    reason: 'SUBJECT_ERASED',
    basis: 'LEGAL_OBLIGATION',
    regime: regimeFor(after.jurisdiction ?? 'ZZ', policy),
    sinceEventId: event.eventId,
    decidedBy: EVERY_PURPOSE,
  };
  return {
    before: { ...erasure, allowed: true, reason: 'CONSENT_GRANTED', sinceEventId: null },
    after: erasure,
    suppressionChanged: true,
  };
}
