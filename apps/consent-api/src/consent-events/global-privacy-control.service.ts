import { Inject, Injectable } from '@nestjs/common';
import { CONSENT_POLICY, type LoadedConsentPolicy } from '@consent-ledger/config';
import { gpcHonouredIn, gpcOptOuts } from '@consent-ledger/consent-domain';
import { ConsentReadModelRepository } from '@consent-ledger/persistence';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { ConsentEventRequest } from './consent-event.request';

const gpcSignals = new Counter({
  name: 'consent_gpc_signals_total',
  help: 'Requests carrying Sec-GPC: 1, by whether the jurisdiction honours GPC',
  labelNames: ['honoured'],
});

/** What the collection API did with a request's Global Privacy Control signal. */
export interface GpcPlan {
  readonly honoured: boolean;
  /** One WITHDRAW (method GLOBAL_PRIVACY_CONTROL) per purpose the signal opts out of now. */
  readonly optOuts: readonly ConsentEventRequest[];
}

/**
 * Honours `Sec-GPC: 1` on a request from the person's browser: where the jurisdiction's law makes
 * GPC an opt-out (the policy file says where), each purpose the policy lists that is still
 * allowed gets a withdrawal recorded with method GLOBAL_PRIVACY_CONTROL, in the same commit as
 * the request's own event. A purpose the request itself grants is left to that grant.
 */
@Injectable()
export class GlobalPrivacyControlService {
  private readonly readModel = new ConsentReadModelRepository();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {}

  async plan(request: ConsentEventRequest): Promise<GpcPlan> {
    const { taxonomy, policy } = this.consentPolicy;
    const honoured = gpcHonouredIn(request.jurisdiction, policy);
    gpcSignals.inc({ honoured: String(honoured) });
    if (!honoured) return { honoured, optOuts: [] };
    // A retried request gets the opt-outs recorded with it the first time, not a new plan from a
    // read model that may already hold them (and would then plan none).
    const keyOf = (purpose: string) => `gpc:${purpose}:${request.idempotencyKey}`.slice(0, 200);
    const candidates = policy.globalPrivacyControl.optOutOf;
    const recorded = await this.recordedKeys(request.subjectId, [
      request.idempotencyKey,
      ...candidates.map(keyOf),
    ]);
    if (recorded.has(request.idempotencyKey))
      return {
        honoured,
        optOuts: candidates
          .filter((purpose) => recorded.has(keyOf(purpose)))
          .map((purpose) => optOutOf(request, purpose, keyOf(purpose))),
      };
    const state = (
      await this.readModel.loadStates(this.dataSource.manager, [request.subjectId])
    ).get(request.subjectId)!;
    const optOuts = gpcOptOuts(state, request.jurisdiction, {
      taxonomy,
      policy,
      at: new Date(request.occurredAt),
      ...(request.action === 'GRANT' ? { grantedInRequest: request.purpose } : {}),
    });
    return {
      honoured,
      optOuts: optOuts.map(({ purpose }) => optOutOf(request, purpose, keyOf(purpose))),
    };
  }

  /** Which of `keys` the subject's requests already used. */
  private async recordedKeys(subjectId: string, keys: readonly string[]): Promise<Set<string>> {
    const rows = (await this.dataSource.query(
      'SELECT idempotency_key FROM idempotency_record WHERE subject_id = $1 AND idempotency_key = ANY($2::text[])',
      [subjectId, keys],
    )) as Array<{ idempotency_key: string }>;
    return new Set(rows.map((row) => row.idempotency_key));
  }
}

/** The withdrawal a GPC signal records for `purpose`, keyed from the request's own key. */
function optOutOf(
  request: ConsentEventRequest,
  purpose: string,
  idempotencyKey: string,
): ConsentEventRequest {
  return {
    subjectId: request.subjectId,
    purpose,
    action: 'WITHDRAW',
    jurisdiction: request.jurisdiction,
    legalBasis: 'OPT_OUT_NOTICE',
    channel: request.channel,
    method: 'GLOBAL_PRIVACY_CONTROL',
    notice: null,
    occurredAt: request.occurredAt,
    expiresAt: null,
    actor: { type: 'SUBJECT', id: null },
    evidence: request.evidence,
    ageBand: request.ageBand,
    // Derived from the request's key: a retried request records the same opt-outs once.
    idempotencyKey,
  };
}
