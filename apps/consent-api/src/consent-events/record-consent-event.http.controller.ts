import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiKeyGuard,
  CurrentCaller,
  RequireScopes,
  ZodPipe,
  type Caller,
} from '@consent-ledger/http';
import {
  consentEventBatchRequestSchema,
  consentEventRequestSchema,
  MAX_BATCH_SIZE,
  openApiSchema,
  type ConsentEventRequest,
} from './consent-event.request';
import { ConsentEventWriter, type AcceptedEvent } from './consent-event.writer';
import { GlobalPrivacyControlService } from './global-privacy-control.service';

/** The answer to a single event; with a GPC signal, what was done about it. */
export interface RecordedEvent extends AcceptedEvent {
  readonly globalPrivacyControl?: {
    readonly honoured: boolean;
    readonly optOuts: ReadonlyArray<{ purpose: string } & AcceptedEvent>;
  };
}

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
export class RecordConsentEventHttpController {
  constructor(
    private readonly writer: ConsentEventWriter,
    private readonly globalPrivacyControl: GlobalPrivacyControlService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record one consent event',
    description:
      "Answers 202 only once Kafka has the event from all in-sync replicas. Repeating an idempotency key returns the original event id and writes nothing. With `Sec-GPC: 1` from the person's browser, where the jurisdiction honours Global Privacy Control, opt-outs of sale/sharing and targeted advertising are recorded in the same commit (method GLOBAL_PRIVACY_CONTROL).",
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
    const author = { kind: 'key', caller } as const;
    if (gpcSignal?.trim() !== '1') {
      const [accepted] = await this.writer.accept([request], () => '', author);
      return accepted!;
    }
    const gpc = await this.globalPrivacyControl.plan(request);
    const [accepted, ...optOuts] = await this.writer.accept(
      [request, ...gpc.optOuts],
      (index) => (index === 0 ? '' : `(Sec-GPC opt-out ${gpc.optOuts[index - 1]!.purpose}).`),
      author,
    );
    return {
      ...accepted!,
      globalPrivacyControl: {
        honoured: gpc.honoured,
        optOuts: optOuts.map((event, index) => ({
          purpose: gpc.optOuts[index]!.purpose,
          ...event,
        })),
      },
    };
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
  ): Promise<{ accepted: number; duplicates: number; events: AcceptedEvent[] }> {
    const events = await this.writer.accept(batch.events, (index) => `events[${index}].`, {
      kind: 'key',
      caller,
    });
    const duplicates = events.filter((event) => event.duplicate).length;
    return { accepted: events.length - duplicates, duplicates, events };
  }
}
