import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentCaller, RequireScopes, ZodPipe } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import {
  batchDecisionRequestSchema,
  decisionRequestSchema,
  MAX_BATCH_SUBJECTS,
} from '../decision-request';
import type { BatchDecisionRequest, DecisionRequest } from '../decision-request';
import { DecisionsService } from './decisions.service';

/**
 * Downstream systems ask whether they may use a person's data for a purpose. In the running app
 * single decisions are answered before Fastify sees them, by the plain route of
 * decision-routes.ts with the same service, key check and schema; this method documents the route
 * (OpenAPI) and answers it when the app is built without plain routes.
 */
@ApiTags('decisions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('decision:read')
@Controller('v1/decisions')
export class DecisionsHttpController {
  constructor(private readonly decisions: DecisionsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'May this subject’s data be used for this purpose now?',
    description:
      'Answered from memory. Fails closed: denied with VIEW_BEHIND_LOG when the view is further behind the log than DECISION_MAX_LAG_RECORDS / DECISION_MAX_STALENESS_MS, and with NO_CONSENT_ON_RECORD for a subject never seen where opt-in rules.',
  })
  decide(
    @Body(new ZodPipe(decisionRequestSchema)) request: DecisionRequest,
    @CurrentCaller() caller: Caller,
  ) {
    return this.decisions.decideOne(request, caller);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    summary: `Decisions for up to ${MAX_BATCH_SUBJECTS} subjects and one purpose`,
    description: 'Every answer reflects the same log position.',
  })
  decideBatch(
    @Body(new ZodPipe(batchDecisionRequestSchema)) request: BatchDecisionRequest,
    @CurrentCaller() caller: Caller,
  ) {
    return this.decisions.decideBatch(request, caller);
  }
}
