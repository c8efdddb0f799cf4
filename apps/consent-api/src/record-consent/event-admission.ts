import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { validateRecording, withRenewal } from '@consent-ledger/consent-domain';
import type { EventWriterLimits, RecordingRequest } from '@consent-ledger/consent-domain';
import { consentRulesBroken } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import { sha256Hex } from '@consent-ledger/kafka';
import { withKeyedEvidence } from './keyed-evidence';
import { toProposedEvent } from './record-consent.request';
import type { RecordableEvent } from './record-consent.request';

/**
 * Who records the events: a caller's API key (bound to its channels, within the backdating
 * window), or a component of the system itself (no window: an expiry recorded late is on time).
 */
export type EventAuthor =
  | { readonly kind: 'key'; readonly caller: Caller }
  | { readonly kind: 'system'; readonly component: string };

/** What admission needs: the policy, the writer limits' settings and the evidence key. */
export interface AdmissionContext {
  readonly consentPolicy: LoadedConsentPolicy;
  readonly settings: AppConfig['consentPolicy'];
  /** Keys the hashes of personal evidence (derived from the vault's keys). */
  readonly evidenceKey: Buffer;
}

/**
 * The requests as the decider takes them: each event as proposed (personal evidence keyed, a
 * renewed purpose's expiry applied), with its fingerprint; 422 naming every broken rule.
 */
export function admitEvents(
  requests: readonly RecordableEvent[],
  fieldPrefix: (index: number) => string,
  author: EventAuthor,
  now: Date,
  context: AdmissionContext,
): RecordingRequest[] {
  const { taxonomy, policy } = context.consentPolicy;
  const proposed = requests.map((request) =>
    withRenewal(withKeyedEvidence(toProposedEvent(request), context.evidenceKey), taxonomy),
  );
  const problems = validateRecording(proposed, {
    taxonomy,
    policy,
    now,
    writer: limitsOf(author, context.settings),
    identifiers: context.settings.identifiers,
  });
  if (problems.length > 0)
    throw consentRulesBroken(
      problems.map(({ index, ...problem }) => ({
        ...problem,
        field: `${fieldPrefix(index)}${problem.field}`,
      })),
    );
  return requests.map((request, index) => ({
    proposed: proposed[index]!,
    fingerprint: sha256Hex(JSON.stringify(request)),
  }));
}

/** The grants' expiries among admitted events (the expiry schedule wakes for them). */
export function grantExpiries(pending: readonly RecordingRequest[]): Date[] {
  return pending.flatMap(({ proposed }) =>
    proposed.action === 'GRANT' && proposed.expiresAt ? [proposed.expiresAt] : [],
  );
}

function limitsOf(author: EventAuthor, settings: AppConfig['consentPolicy']): EventWriterLimits {
  if (author.kind === 'system') return {};
  const { channels } = author.caller;
  return {
    ...(channels ? { allowedChannels: channels } : {}),
    backdating: settings.backdating,
  };
}
