import { Injectable } from '@nestjs/common';
import type { UsageEntry } from '@consent-ledger/kafka';
import { UsageLogService } from '../usage-log.service';
import { usageEntry } from '../usage-entry';
import type { UsageContext } from '../usage-entry';
import type { BatchDecisionRequest, DecisionRequest } from '../decision-request';
import type { Caller } from '@consent-ledger/http';
import { askedJurisdiction, DecisionViewService } from '../decision-view.service';
import type { DecisionSnapshot } from '../decision-view.service';

/**
 * Single and batch decisions from the in-memory view, each answer recorded in the usage log.
 * Requests arrive validated (decisionRequestSchema, batchDecisionRequestSchema).
 */
@Injectable()
export class DecisionsService {
  constructor(
    private readonly decisions: DecisionViewService,
    private readonly usageLog: UsageLogService,
  ) {}

  decideOne(request: DecisionRequest, caller: Caller) {
    this.decisions.assertKnownPurpose(request.purpose);
    this.usageLog.assertAccepting();
    const snapshot = this.decisions.snapshot();
    const decision = this.decisions.decide(
      request.subjectId,
      request.purpose,
      snapshot,
      askedJurisdiction(request.jurisdiction, caller),
    );
    this.usageLog.record([
      usageEntry(request.subjectId, decision, decisionContext(request, caller.keyId, snapshot)),
    ]);
    return {
      subjectId: request.subjectId,
      ...decision,
      logPosition: snapshot.logPosition,
      ...(request.campaignId ? { campaignId: request.campaignId } : {}),
      ...(request.jobId ? { jobId: request.jobId } : {}),
    };
  }

  /** Every answer of a batch reflects the same log position. */
  decideBatch(request: BatchDecisionRequest, caller: Caller) {
    this.decisions.assertKnownPurpose(request.purpose);
    this.usageLog.assertAccepting();
    const snapshot = this.decisions.snapshot();
    const usage: UsageEntry[] = [];
    const context = decisionContext(request, caller.keyId, snapshot);
    const asked = askedJurisdiction(request.jurisdiction, caller);
    const decisions = request.subjectIds.map((subjectId) => {
      const { purpose: _purpose, ...decision } = this.decisions.decide(
        subjectId,
        request.purpose,
        snapshot,
        asked,
      );
      usage.push(usageEntry(subjectId, decision, context));
      return { subjectId, ...decision };
    });
    this.usageLog.record(usage);
    return {
      purpose: request.purpose,
      policyVersion: snapshot.policyVersion,
      logPosition: snapshot.logPosition,
      allowedCount: decisions.filter((decision) => decision.allowed).length,
      decisions,
      ...(request.campaignId ? { campaignId: request.campaignId } : {}),
      ...(request.jobId ? { jobId: request.jobId } : {}),
    };
  }
}

/** What the usage log records about who asked, for a single or batch decision request. */
function decisionContext(
  request: DecisionRequest | BatchDecisionRequest,
  askedBy: string,
  snapshot: DecisionSnapshot,
): UsageContext {
  return {
    kind: 'DECISION',
    purpose: request.purpose,
    askedBy,
    campaignId: request.campaignId,
    jobId: request.jobId,
    logPosition: snapshot.logPositionText,
  };
}
