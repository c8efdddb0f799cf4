import type { ConsentProof } from '../proof/proof';
import type { LoadedConsentPolicy } from '@consent-ledger/config';

/** One purpose as a person reads it: what it is for, what data it uses, where they stand. */
export interface PurposeStanding {
  readonly purpose: string;
  readonly description: string;
  /** `contract`: needed to serve them, not a matter of consent. */
  readonly basis: 'consent' | 'contract';
  readonly dataCategories: readonly string[];
  readonly allowed: boolean;
  readonly reason: string;
  /** Their choice that decides it, and when they made it; null when they made none. */
  readonly decidedBy: { readonly action: string; readonly at: string } | null;
}

export interface ChoiceMade {
  readonly purpose: string;
  readonly action: string;
  readonly at: string;
  readonly recordedAt: string;
  readonly channel: string;
  readonly method: string;
  readonly notice: { readonly noticeId: string; readonly version: string } | null;
}

export interface NoticeShown {
  readonly noticeId: string;
  readonly version: string;
  readonly title: string | null;
  readonly language: string | null;
  /** The text as registered; null when only its hash was recorded. */
  readonly text: string | null;
  readonly textSha256: string;
}

/**
 * What a person may ask to see (GDPR Art. 15): every choice and when, the notices they were
 * shown, where they stand for each purpose and what data it uses, what each downstream system
 * was told and when, and which campaigns, jobs and training runs asked about them.
 */
export interface AccessReport {
  readonly subjectId: string;
  readonly generatedAt: string;
  readonly policyVersion: string;
  readonly purposes: readonly PurposeStanding[];
  readonly choices: readonly ChoiceMade[];
  readonly notices: readonly NoticeShown[];
  readonly downstreamSystemsTold: ReadonlyArray<{
    readonly system: string;
    readonly purpose: string;
    readonly told: 'allowed' | 'suppressed';
    readonly at: string;
  }>;
  readonly uses: ReadonlyArray<{
    readonly kind: string;
    readonly purpose: string;
    readonly campaignId: string | null;
    readonly jobId: string | null;
    readonly manifestId: string | null;
    readonly allowed: boolean;
    readonly at: string;
  }>;
  /** The record of their choices is intact: its hash chain holds. */
  readonly recordIntact: boolean;
}

/** The access report, from the proof of consent and the purpose taxonomy. */
export function accessReportFrom(proof: ConsentProof, policy: LoadedConsentPolicy): AccessReport {
  const choices = proof.events.map(({ event }) => ({
    purpose: event.purpose,
    action: event.action,
    at: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    channel: event.channel,
    method: event.method,
    notice: event.notice
      ? { noticeId: event.notice.noticeId, version: event.notice.version }
      : null,
  }));
  return {
    subjectId: proof.subjectId,
    generatedAt: proof.generatedAt,
    policyVersion: proof.policyVersion,
    purposes: purposeStandings(proof, policy),
    choices,
    notices: noticesShown(proof),
    downstreamSystemsTold: proof.deliveries.map((delivery) => ({
      system: delivery.sink,
      purpose: delivery.purpose,
      told: delivery.allowed ? ('allowed' as const) : ('suppressed' as const),
      at: new Date(delivery.deliveredAt).toISOString(),
    })),
    uses: proof.usage.map((use) => ({
      kind: use.kind,
      purpose: use.purpose,
      campaignId: use.campaignId,
      jobId: use.jobId,
      manifestId: use.manifestId,
      allowed: use.allowed,
      at: new Date(use.decidedAt).toISOString(),
    })),
    recordIntact: proof.chainIntact,
  };
}

function purposeStandings(proof: ConsentProof, policy: LoadedConsentPolicy): PurposeStanding[] {
  return proof.current.map((row) => {
    const purpose = policy.taxonomy.purposes.get(row.purpose);
    return {
      purpose: row.purpose,
      description: purpose?.description ?? row.purpose,
      basis: purpose?.basis ?? 'consent',
      dataCategories: [...(purpose?.dataCategories ?? [])],
      allowed: row.allowed,
      reason: row.reason,
      decidedBy:
        row.choiceAction && row.choiceOccurredAt
          ? { action: row.choiceAction, at: row.choiceOccurredAt }
          : null,
    };
  });
}

function noticesShown(proof: ConsentProof): NoticeShown[] {
  const shown = new Map<string, NoticeShown>();
  for (const { event, notice } of proof.events) {
    if (!event.notice) continue;
    const key = `${event.notice.noticeId}\u0000${event.notice.version}`;
    if (shown.has(key)) continue;
    const registered = notice && !('registered' in notice) ? notice : undefined;
    shown.set(key, {
      noticeId: event.notice.noticeId,
      version: event.notice.version,
      title: registered?.title ?? null,
      language: registered?.language ?? null,
      text: registered?.text ?? null,
      textSha256: event.notice.textSha256,
    });
  }
  return [...shown.values()];
}
