import { Inject, Injectable } from '@nestjs/common';
import { CONSENT_POLICY } from '@consent-ledger/config';
import type { LoadedConsentPolicy } from '@consent-ledger/config';
import { decide, foldEvents } from '@consent-ledger/consent-domain';
import type { ConsentDecision, PurposeChoice } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { InvalidCursorError, SUBJECT_HISTORY } from '@consent-ledger/persistence';
import type { EventPage, SubjectHistory } from '@consent-ledger/persistence';

export interface PurposeConsent extends ConsentDecision {
  /** The choice that decided, when one did. */
  readonly choice: PurposeChoice | null;
}

export interface SubjectConsents {
  readonly subjectId: string;
  readonly known: boolean;
  readonly jurisdiction: string | null;
  readonly ageBand: string | null;
  readonly policyVersion: string;
  readonly asOf: string;
  readonly purposes: PurposeConsent[];
}

/** What is allowed for one subject, and what they chose. */
@Injectable()
export class SubjectConsentsService {
  constructor(
    @Inject(SUBJECT_HISTORY) private readonly history: SubjectHistory,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {}

  /**
   * Every purpose's decision, now from the read model's current state, or as of a past moment
   * from the fold of the events the system had recorded by then (the same fold the projector and
   * a replay use); under `jurisdiction` instead of the subject's last known one when given.
   */
  async consents(subjectId: string, asOf?: Date, jurisdiction?: string): Promise<SubjectConsents> {
    const at = asOf ?? new Date();
    const state = asOf
      ? foldEvents(await this.history.eventsRecordedBy(subjectId, asOf))
      : await this.history.currentState(subjectId);
    const { taxonomy, policy } = this.consentPolicy;
    const purposes = [...taxonomy.purposes.keys()].map((purpose) => {
      const decision = decide(state, purpose, {
        taxonomy,
        policy,
        at,
        ...(jurisdiction ? { jurisdiction } : {}),
      });
      return {
        ...decision,
        choice: decision.decidedBy ? (state.choices[decision.decidedBy] ?? null) : null,
      };
    });
    return {
      subjectId,
      known: state.subjectId !== null,
      jurisdiction: jurisdiction ?? state.jurisdiction,
      ageBand: state.ageBand,
      policyVersion: policy.version,
      asOf: at.toISOString(),
      purposes,
    };
  }

  /** A page of the subject's events in the order they were recorded. */
  async events(subjectId: string, limit: number, after: string | null): Promise<EventPage> {
    try {
      return await this.history.eventPage(subjectId, limit, after);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new AppError(error.code, 'Invalid cursor', error.message, [
          { field: 'after', code: error.code, message: error.message },
        ]);
      }
      throw error;
    }
  }
}
