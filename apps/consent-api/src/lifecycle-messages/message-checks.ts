import {
  awaitsReconsent,
  awaitsRenewal,
  EVERY_PURPOSE,
  lapsedUnanswered,
} from '@consent-ledger/consent-domain';
import type { LatestChoice, LifecycleMessage } from '@consent-ledger/persistence';

/** Why a message will not go out. */
export type CancelReason = 'answered' | 'renewed-or-withdrawn' | 'erased';

/** What to do with a claimed message, judged by the person's latest choices right before. */
export type MessageCheck =
  { readonly send: true } | { readonly send: false; readonly reason: CancelReason };

/**
 * Whether a due message should still go out. A re-consent message goes while some purpose of the
 * campaign still rests on a grant under an older notice version (any answer, a grant under the
 * new version or a withdrawal, stops the rest); a renewal reminder while the very grant stands; a
 * lapse notice once the grant lapsed, unless the person renewed or withdrew since. A person who
 * withdrew is never reminded, and nothing goes to a person erased.
 */
export function checkMessage(
  message: LifecycleMessage,
  choices: ReadonlyMap<string, LatestChoice>,
  at: Date,
): MessageCheck {
  const { details } = message;
  const choiceOf = (purpose: string) => choices.get(`${message.subjectId}|${purpose}`);
  if (isErased(message.subjectId, choices)) return { send: false, reason: 'erased' };
  switch (message.kind) {
    case 'RECONSENT_REQUEST':
    case 'RECONSENT_REMINDER': {
      const notice = details.notice!;
      const waiting = details.purposes.some((purpose) => {
        const choice = choiceOf(purpose);
        return choice !== undefined && awaitsReconsent(choice, notice, at);
      });
      return waiting ? { send: true } : { send: false, reason: 'answered' };
    }
    case 'RENEWAL_REMINDER': {
      const choice = choiceOf(details.purposes[0]!);
      return choice && awaitsRenewal(choice, details.grantEventId!, at)
        ? { send: true }
        : { send: false, reason: 'renewed-or-withdrawn' };
    }
    case 'CONSENT_LAPSED': {
      const choice = choiceOf(details.purposes[0]!);
      const grant = { eventId: details.grantEventId!, expiresAt: new Date(details.expiresAt!) };
      return choice && lapsedUnanswered(choice, grant, at)
        ? { send: true }
        : { send: false, reason: 'renewed-or-withdrawn' };
    }
  }
}

/** Whether the subject was erased: nothing is sent to them, and nothing of theirs is recorded. */
export function isErased(subjectId: string, choices: ReadonlyMap<string, LatestChoice>): boolean {
  return choices.get(`${subjectId}|${EVERY_PURPOSE}`)?.action === 'ERASE';
}

/** Latest choices by `subjectId|purpose`. */
export function choicesByKey(choices: readonly LatestChoice[]): Map<string, LatestChoice> {
  return new Map(choices.map((choice) => [`${choice.subjectId}|${choice.purpose}`, choice]));
}
