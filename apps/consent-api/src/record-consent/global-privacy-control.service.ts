import { Inject, Injectable } from '@nestjs/common';
import { CONSENT_POLICY } from '@consent-ledger/config';
import type { LoadedConsentPolicy } from '@consent-ledger/config';
import {
  gpcHonouredIn,
  gpcKeysToLookUp,
  impliedGpcOptOuts,
  initialState,
} from '@consent-ledger/consent-domain';
import { WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type { WritePathStore } from '@consent-ledger/persistence';
import { Counter } from 'prom-client';
import type { ConsentEventRequest } from './record-consent.request';

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
 * the request's own event (the domain's impliedGpcOptOuts decides which; this loads what it needs).
 */
@Injectable()
export class GlobalPrivacyControlService {
  constructor(
    @Inject(WRITE_PATH_STORE) private readonly store: WritePathStore,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {}

  async plan(request: ConsentEventRequest): Promise<GpcPlan> {
    const { taxonomy, policy } = this.consentPolicy;
    const honoured = gpcHonouredIn(request.jurisdiction, policy);
    gpcSignals.inc({ honoured: String(honoured) });
    if (!honoured) return { honoured, optOuts: [] };
    const recordedKeys = await this.store.usedKeys(
      request.subjectId,
      gpcKeysToLookUp(request.idempotencyKey, policy),
    );
    // A retried request needs no state: it gets the opt-outs recorded with it the first time.
    const state = recordedKeys.has(request.idempotencyKey)
      ? initialState()
      : await this.store.subjectState(request.subjectId);
    const optOuts = impliedGpcOptOuts(request, {
      state,
      recordedKeys,
      taxonomy,
      policy,
      at: new Date(request.occurredAt),
    });
    return { honoured, optOuts };
  }
}
