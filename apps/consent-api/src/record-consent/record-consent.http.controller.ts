import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyGuard, CurrentCaller, RequireScopes, ZodPipe } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import {
  consentEventBatchRequestSchema,
  consentEventRequestSchema,
  MAX_BATCH_SIZE,
  openApiSchema,
} from './record-consent.request';
import type { ConsentEventRequest } from './record-consent.request';
import { RecordConsentService } from './record-consent.service';
import type { RecordedBatch, RecordedEvent } from './record-consent.service';

const RECORD_ONE_DESCRIPTION =
  "Answers 202 only once Kafka has the event from all in-sync replicas. Repeating an idempotency key returns the original event id and writes nothing. With `Sec-GPC: 1` from the person's browser, where the jurisdiction honours Global Privacy Control, opt-outs of sale/sharing and targeted advertising are recorded in the same commit (method GLOBAL_PRIVACY_CONTROL).";

const problem = {
  description: 'RFC 9457 problem+json naming each bad field',
  content: { 'application/problem+json': {} },
};

/** Collection channels record grants and withdrawals here. */
@ApiTags('consent events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('consent:write')
@Controller('v1/consent-events')
export class RecordConsentHttpController {
  constructor(private readonly recordConsent: RecordConsentService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record one consent event',
    description: RECORD_ONE_DESCRIPTION,
  })
  @ApiHeader({
    name: 'Sec-GPC',
    required: false,
    description: "The browser's Global Privacy Control signal; pass it through as 1",
  })
  @ApiBody({ schema: openApiSchema(consentEventRequestSchema) })
  @ApiResponse({ status: 202, description: 'Durable in the event log' })
  @ApiResponse({ status: 400, ...problem })
  @ApiResponse({
    status: 409,
    ...problem,
    description: 'Idempotency key reused with different content',
  })
  @ApiResponse({
    status: 422,
    ...problem,
    description: 'Breaks a consent rule (unknown purpose, missing notice, …)',
  })
  @ApiResponse({
    status: 503,
    ...problem,
    description: 'Kafka did not acknowledge; retry after Retry-After seconds',
  })
  async record(
    @Body(new ZodPipe(consentEventRequestSchema)) request: ConsentEventRequest,
    @CurrentCaller() caller: Caller,
    @Headers('sec-gpc') gpcSignal?: string,
  ): Promise<RecordedEvent> {
    return this.recordConsent.recordOne(request, caller, gpcSignal?.trim() === '1');
  }

  @Post('batch')
  @HttpCode(202)
  @ApiOperation({
    summary: `Record up to ${MAX_BATCH_SIZE} consent events (imports)`,
    description: 'All or nothing: if any event is invalid, none is written.',
  })
  @ApiBody({ schema: openApiSchema(consentEventBatchRequestSchema) })
  @ApiResponse({ status: 202, description: 'All events durable in the event log' })
  @ApiResponse({ status: 413, ...problem })
  async recordBatch(
    @Body(new ZodPipe(consentEventBatchRequestSchema)) batch: { events: ConsentEventRequest[] },
    @CurrentCaller() caller: Caller,
  ): Promise<RecordedBatch> {
    return this.recordConsent.recordBatch(batch.events, caller);
  }
}
