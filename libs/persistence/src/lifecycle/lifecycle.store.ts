import type { NoticeReference, ReconsentStep } from '@consent-ledger/consent-domain';

/** The DI token of the {@link LifecycleStore}. */
export const LIFECYCLE_STORE = Symbol('LIFECYCLE_STORE');

/** A re-consent campaign: one per material notice version. */
export interface ReconsentCampaign {
  readonly campaignId: string;
  readonly noticeId: string;
  readonly noticeVersion: string;
  readonly startedAt: Date;
  readonly graceEndsAt: Date;
  readonly steps: readonly ReconsentStep[];
  readonly startedBy: string;
  /** The last subject put in the audience (selection resumes after it). */
  readonly selectedThrough: string | null;
  /** When everyone concerned had been put in the audience. */
  readonly selectedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** How far a campaign has come. */
export interface CampaignProgress {
  readonly subjects: {
    readonly pending: number;
    readonly answered: number;
    readonly lapsed: number;
  };
  readonly messages: { readonly sent: number; readonly due: number; readonly cancelled: number };
}

/** What a lifecycle message is. */
export type LifecycleMessageKind =
  'RECONSENT_REQUEST' | 'RECONSENT_REMINDER' | 'RENEWAL_REMINDER' | 'CONSENT_LAPSED';

/** One message to send a person through the email platform. */
export interface LifecycleMessage {
  /** Unique; the vendor's idempotency key, so a message repeated after a crash is sent once. */
  readonly messageKey: string;
  readonly kind: LifecycleMessageKind;
  readonly subjectId: string;
  readonly campaignId: string | null;
  /** Re-consent: the campaign's purposes and step; renewal: the grant, its purpose and expiry. */
  readonly details: LifecycleMessageDetails;
  readonly dueAt: Date;
  readonly attempts: number;
}

export interface LifecycleMessageDetails {
  readonly purposes: readonly string[];
  readonly step?: number;
  readonly notice?: { readonly noticeId: string; readonly version: string };
  readonly graceEndsAt?: string;
  readonly grantEventId?: string;
  readonly expiresAt?: string;
}

/** A person's latest choice for a purpose, as the read model holds it. */
export interface LatestChoice {
  readonly subjectId: string;
  readonly purpose: string;
  readonly action: 'GRANT' | 'WITHDRAW' | 'EXPIRE' | 'ERASE';
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly expiresAt: Date | null;
  readonly notice: NoticeReference | null;
  readonly jurisdiction: string;
  readonly legalBasis: string;
}

/** Someone a campaign asks again, and the purposes whose grants rest on the old notice. */
export interface CampaignSubject {
  readonly subjectId: string;
  readonly purposes: readonly string[];
}

/**
 * Re-consent campaigns, their audiences, and the queue of lifecycle messages; plus the read
 * model's latest choices the sender checks before each message (an answer cancels the rest).
 */
export interface LifecycleStore {
  /** Starts the campaign (the first one per notice version stands: a repeat gets it back). */
  startCampaign(
    campaign: Omit<ReconsentCampaign, 'selectedThrough' | 'selectedAt' | 'finishedAt'>,
  ): Promise<{ readonly created: boolean; readonly campaign: ReconsentCampaign }>;
  campaign(campaignId: string): Promise<ReconsentCampaign | undefined>;
  progress(campaignId: string): Promise<CampaignProgress>;
  /** Campaigns whose audience is not wholly selected yet (a crash mid-selection resumes them). */
  unselectedCampaigns(): Promise<ReconsentCampaign[]>;
  /**
   * Up to `limit` subjects after `after` (in id order) whose latest choice of some purpose is a
   * grant citing the notice, with those choices; the caller keeps the ones on older versions.
   * Erased subjects are left out. `last` is the last subject read (null at the end).
   */
  noticeGrants(
    noticeId: string,
    after: string | null,
    limit: number,
  ): Promise<{ readonly choices: LatestChoice[]; readonly last: string | null }>;
  /**
   * Puts subjects in the campaign's audience with a message per step, and notes how far the
   * selection came (`through`; null: done), in one transaction.
   */
  addAudience(
    campaign: ReconsentCampaign,
    subjects: readonly CampaignSubject[],
    through: string | null,
  ): Promise<void>;
  /** Claims up to `limit` due messages for `leaseMs` (other instances skip them). */
  claimDue(limit: number, leaseMs: number): Promise<LifecycleMessage[]>;
  /** When the next unsent message is due; null when none is waiting. */
  nextDue(): Promise<Date | null>;
  sent(messageKeys: readonly string[]): Promise<void>;
  /** Drops messages that should not go out any more (the person answered, renewed, withdrew). */
  cancel(messageKeys: readonly string[], reason: string): Promise<void>;
  /** A failed send: tried again at `retryAt`. */
  failed(messageKey: string, error: string, retryAt: Date): Promise<void>;
  /**
   * The latest choices of these subjects, every purpose; an erased subject has an ERASE for every
   * purpose ('*') from the erasure's commit on.
   */
  latestChoices(subjectIds: readonly string[]): Promise<LatestChoice[]>;
  /** Settles people of a campaign still pending; returns the ones it settled. */
  settle(
    campaignId: string,
    subjectIds: readonly string[],
    status: 'ANSWERED' | 'LAPSED',
  ): Promise<string[]>;
  /** Campaigns whose grace period ended by `at` and which are not finished. */
  campaignsToFinish(at: Date): Promise<ReconsentCampaign[]>;
  /** Up to `limit` people still pending in the campaign after `after`, in id order. */
  pendingSubjects(
    campaignId: string,
    after: string | null,
    limit: number,
  ): Promise<CampaignSubject[]>;
  finish(campaignId: string): Promise<void>;
  /**
   * For up to `limit` grants of `purposes` after `after` (in expiry, subject, purpose order) whose
   * expiry is at or before `to`: a reminder due `leadMs` before the expiry (now at the latest) and
   * a lapse notice due at it; messages already there stay. Returns the last grant read (null when
   * none was).
   */
  enqueueRenewalNotices(
    purposes: readonly string[],
    leadMs: number,
    after: ExpiryPosition,
    to: Date,
    limit: number,
  ): Promise<ExpiryPosition | null>;
}

/** Where a scan of grants in expiry order stands. */
export interface ExpiryPosition {
  readonly expiresAt: Date;
  readonly subjectId: string;
  readonly purpose: string;
}
