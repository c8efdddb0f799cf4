import type { SubjectConsentState } from './consent-state';

/** One way two states of the same subject differ. */
export interface StateDifference {
  /** `choice:<purpose>`, `jurisdiction` or `ageBand`. */
  readonly field: string;
  /** What the replay of the log says. */
  readonly replayed: string | null;
  /** What the read model holds. */
  readonly stored: string | null;
}

const choiceText = (state: SubjectConsentState, purpose: string) => {
  const choice = state.choices[purpose];
  return choice ? `${choice.action} by ${choice.eventId}` : null;
};

/**
 * Where the replayed state and the stored one disagree: each purpose's deciding choice (action
 * and event), the jurisdiction and the age band. Empty when they agree.
 */
export function compareStates(
  replayed: SubjectConsentState,
  stored: SubjectConsentState,
): StateDifference[] {
  const differences: StateDifference[] = [];
  const purposes = new Set([...Object.keys(replayed.choices), ...Object.keys(stored.choices)]);
  for (const purpose of [...purposes].sort()) {
    const a = choiceText(replayed, purpose);
    const b = choiceText(stored, purpose);
    if (a !== b) differences.push({ field: `choice:${purpose}`, replayed: a, stored: b });
  }
  if (replayed.jurisdiction !== stored.jurisdiction)
    differences.push({
      field: 'jurisdiction',
      replayed: replayed.jurisdiction,
      stored: stored.jurisdiction,
    });
  if (replayed.ageBand !== stored.ageBand)
    differences.push({ field: 'ageBand', replayed: replayed.ageBand, stored: stored.ageBand });
  return differences;
}
