import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CallerId, RequireScopes, ZodPipe } from '@consent-ledger/http';
import { UsageLogService } from '../usage-log.service';
import { usageEntry, type UsageContext } from '../usage-entry';
import {
  batchDecisionRequestSchema,
  decisionRequestSchema,
  MAX_BATCH_SUBJECTS,
  type BatchDecisionRequest,
  type DecisionRequest,
} from '../decision-request';
import { DecisionViewService, type DecisionSnapshot } from '../decision-view.service';
import type { UsageEntry } from '@consent-ledger/kafka';

/** Downstream systems ask whether they may use a person's data for a purpose. */
@ApiTags('decisions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('decision:read')
@Controller('v1/decisions')
export class DecisionsHttpController {
  constructor(
    private readonly decisions: DecisionViewService,
    private readonly usageLog: UsageLogService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'May this subject’s data be used for this purpose now?',
    description:
      'Answered from memory. Fails closed: denied with VIEW_BEHIND_LOG when the view is further behind the log than DECISION_MAX_LAG_RECORDS / DECISION_MAX_STALENESS_MS, and with NO_CONSENT_ON_RECORD for a subject never seen where opt-in rules.',
  })
  decide(
    @Body(new ZodPipe(decisionRequestSchema)) request: DecisionRequest,
    @CallerId() askedBy: string,
  ) {
    this.decisions.assertKnownPurpose(request.purpose);
    this.usageLog.assertAccepting();
    const snapshot = this.decisions.snapshot();
    const decision = this.decisions.decide(
      request.subjectId,
      request.purpose,
      snapshot,
      request.jurisdiction,
    );
    this.usageLog.record([
      usageEntry(request.subjectId, decision, decisionContext(request, askedBy, snapshot)),
    ]);
    return {
      subjectId: request.subjectId,
      ...decision,
      logPosition: snapshot.logPosition,
      ...(request.campaignId ? { campaignId: request.campaignId } : {}),
      ...(request.jobId ? { jobId: request.jobId } : {}),
    };
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    summary: `Decisions for up to ${MAX_BATCH_SUBJECTS} subjects and one purpose`,
    description: 'Every answer reflects the same log position.',
  })
  decideBatch(
    @Body(new ZodPipe(batchDecisionRequestSchema)) request: BatchDecisionRequest,
    @CallerId() askedBy: string,
  ) {
    this.decisions.assertKnownPurpose(request.purpose);
    this.usageLog.assertAccepting();
    const snapshot = this.decisions.snapshot();
    const usage: UsageEntry[] = [];
    const context = decisionContext(request, askedBy, snapshot);
    const decisions = request.subjectIds.map((subjectId) => {
      const { purpose: _purpose, ...decision } = this.decisions.decide(
        subjectId,
        request.purpose,
        snapshot,
        request.jurisdiction,
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
    logPosition: JSON.stringify(snapshot.logPosition),
  };
}
