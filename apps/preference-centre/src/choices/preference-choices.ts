import { createHash } from 'node:crypto';
import { gpcHonouredIn } from '@consent-ledger/consent-domain';
import type { LoadedConsentPolicy } from '@consent-ledger/config';
import type { CentreChoice, ConsentApiClient, PurposeState } from '../ledger/consent-api.client';
import type { CentreSession } from '../session/session-cookie';
import type { CentreTexts } from '../texts/centre-texts';

/** Who acted, as the evidence of a choice keeps it (the consent API protects both values). */
export interface RequestEvidence {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

/** Where a Global Privacy Control signal left the person. */
export type GpcOutcome = 'honoured' | 'seen' | 'none';

/** Jurisdiction used when neither the link nor the ledger knows one: ZZ (unknown, GDPR's rules). */
const UNKNOWN_JURISDICTION = 'ZZ';

/**
 * What the preference centre does for a person: reads where they stand, and records their choices
 * through the consent API as a collection channel (channel WEB, method PREFERENCE_CENTRE; the
 * one-click link: EMAIL_LINK, UNSUBSCRIBE_LINK; a GPC signal: GLOBAL_PRIVACY_CONTROL), each with the
 * notice reference and evidence, and an idempotency key that makes a form sent twice one event.
 */
export class PreferenceChoices {
  private notice: CentreChoice['notice'] = null;

  constructor(
    private readonly api: ConsentApiClient,
    private readonly texts: CentreTexts,
    private readonly policy: LoadedConsentPolicy,
  ) {}

  /** The jurisdiction a session decides and records under. */
  async jurisdictionOf(
    session: Pick<CentreSession, 'subjectId' | 'jurisdiction'>,
  ): Promise<string> {
    if (session.jurisdiction) return session.jurisdiction;
    return (await this.api.consents(session.subjectId, null)).jurisdiction ?? UNKNOWN_JURISDICTION;
  }

  /** Records one choice made on the page; `formId` tells a new choice from the same form sent again. */
  async choose(
    session: CentreSession,
    purpose: string,
    action: 'GRANT' | 'WITHDRAW',
    formId: string,
    evidence: RequestEvidence,
  ): Promise<string[]> {
    if (!this.shownConsentPurposes().includes(purpose)) throw new UnknownPurposeError(purpose);
    const jurisdiction = await this.jurisdictionOf(session);
    return this.api.record([
      await this.choice(
        session,
        jurisdiction,
        purpose,
        action,
        `pc:${formId}:${purpose}:${action}`,
        evidence,
      ),
    ]);
  }

  /** Withdraws every consent-based purpose the centre shows that is currently allowed. */
  async withdrawAll(
    session: CentreSession,
    formId: string,
    evidence: RequestEvidence,
  ): Promise<string[]> {
    const jurisdiction = await this.jurisdictionOf(session);
    const states = await this.api.consents(session.subjectId, jurisdiction);
    const allowed = this.allowedConsentPurposes(states.purposes);
    if (allowed.length === 0) return [];
    const choices = await Promise.all(
      allowed.map((purpose) =>
        this.choice(
          session,
          jurisdiction,
          purpose,
          'WITHDRAW',
          `pc:${formId}:${purpose}:WITHDRAW`,
          evidence,
        ),
      ),
    );
    return this.api.record(choices);
  }

  /**
   * A Global Privacy Control signal from the person's browser: where their jurisdiction's law makes
   * it an opt-out, the policy's GPC purposes still allowed are withdrawn (method
   * GLOBAL_PRIVACY_CONTROL, once per allowing state); elsewhere it is only acknowledged.
   */
  async honourGpc(
    session: CentreSession,
    evidence: RequestEvidence,
  ): Promise<{ outcome: GpcOutcome; eventIds: string[] }> {
    const jurisdiction = await this.jurisdictionOf(session);
    if (!gpcHonouredIn(jurisdiction, this.policy.policy)) return { outcome: 'seen', eventIds: [] };
    const states = await this.api.consents(session.subjectId, jurisdiction);
    const optOutOf = new Set(this.policy.policy.globalPrivacyControl.optOutOf);
    const allowed = states.purposes.filter((state) => optOutOf.has(state.purpose) && state.allowed);
    const eventIds =
      allowed.length === 0
        ? []
        : await this.api.record(
            allowed.map((state) => ({
              ...this.withdrawal(session, jurisdiction, state.purpose, evidence),
              method: 'GLOBAL_PRIVACY_CONTROL' as const,
              idempotencyKey: `gpc:${session.subjectId}:${state.purpose}:${state.sinceEventId ?? 'default'}`,
            })),
          );
    return { outcome: 'honoured', eventIds };
  }

  /** RFC 8058 one-click unsubscribe: withdraws the link's purpose, no page in between. */
  async unsubscribe(
    link: {
      readonly subjectId: string;
      readonly jurisdiction: string | null;
      readonly purpose: string;
    },
    token: string,
    evidence: RequestEvidence,
  ): Promise<void> {
    const jurisdiction = await this.jurisdictionOf(link);
    await this.api.record([
      {
        ...this.withdrawal(link, jurisdiction, link.purpose, evidence),
        channel: 'EMAIL_LINK',
        method: 'UNSUBSCRIBE_LINK',
        // The same link used twice (mail clients retry) is one withdrawal.
        idempotencyKey: `unsubscribe:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`,
      },
    ]);
  }

  /** The consent-based purposes the centre shows, in its order. */
  shownConsentPurposes(): string[] {
    return this.texts.purposes
      .map((purpose) => purpose.id)
      .filter((id) => this.policy.taxonomy.purposes.get(id)?.basis === 'consent');
  }

  private allowedConsentPurposes(states: readonly PurposeState[]): string[] {
    const allowed = new Set(states.filter((state) => state.allowed).map((state) => state.purpose));
    return this.shownConsentPurposes().filter((purpose) => allowed.has(purpose));
  }

  private async choice(
    session: CentreSession,
    jurisdiction: string,
    purpose: string,
    action: 'GRANT' | 'WITHDRAW',
    idempotencyKey: string,
    evidence: RequestEvidence,
  ): Promise<CentreChoice> {
    // A change made on the page cites the notice the page shows, a withdrawal too.
    const base = {
      ...this.withdrawal(session, jurisdiction, purpose, evidence),
      notice: await this.currentNotice(),
    };
    if (action === 'WITHDRAW') return { ...base, idempotencyKey };
    // The switch of a sensitive purpose is its own, explained, explicit act (GDPR Art. 9(2)(a)).
    const sensitive = this.policy.taxonomy.purposes.get(purpose)?.usCategory === 'sensitive';
    return {
      ...base,
      action,
      legalBasis: sensitive ? 'EXPLICIT_CONSENT' : 'CONSENT',
      idempotencyKey,
    };
  }

  private withdrawal(
    who: { readonly subjectId: string },
    jurisdiction: string,
    purpose: string,
    evidence: RequestEvidence,
  ): Omit<CentreChoice, 'idempotencyKey'> {
    return {
      subjectId: who.subjectId,
      purpose,
      action: 'WITHDRAW',
      legalBasis: 'CONSENT',
      jurisdiction,
      channel: 'WEB',
      method: 'PREFERENCE_CENTRE',
      notice: null,
      evidence: {
        ipAddressHash: evidence.ipAddress,
        userAgent: evidence.userAgent,
        reference: 'preference centre',
      },
    };
  }

  /** The notice a grant made here refers to: the configured one, as the registry holds it. */
  /**
   * The notice the page shows (the configured one, as the registry holds it). A notice version
   * never changes once registered, so it is asked for once and kept.
   */
  private async currentNotice(): Promise<CentreChoice['notice']> {
    if (this.notice) return this.notice;
    const { noticeId, version } = this.texts.notice;
    const registered = await this.api.notice(noticeId, version);
    if (registered) this.notice = { noticeId, version, textSha256: registered.textSha256 };
    return this.notice ?? null;
  }
}

/** A form named a purpose the centre does not offer. */
export class UnknownPurposeError extends Error {
  constructor(readonly purpose: string) {
    super(`the preference centre does not offer '${purpose}'`);
    this.name = 'UnknownPurposeError';
  }
}
