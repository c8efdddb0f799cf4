import type { ConsentEvent } from '@consent-ledger/consent-domain';
import { hashConsentEvent } from '@consent-ledger/kafka';

/**
 * The events with each subject's chain linked in the order given, as the API links them: for
 * tests that produce events straight to the topic. `heads` carries the chains on across calls.
 */
export function linkedEvents(
  events: readonly ConsentEvent[],
  heads: Map<string, string> = new Map(),
): ConsentEvent[] {
  return events.map((event) => {
    const linked = { ...event, previousEventHash: heads.get(event.subjectId) ?? null };
    heads.set(event.subjectId, hashConsentEvent(linked));
    return linked;
  });
}
