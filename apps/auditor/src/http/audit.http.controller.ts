import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { InvalidAsOfError, resolveAsOf, UnknownPurposeError } from '@consent-ledger/consent-domain';
import type { DateMeaning } from '@consent-ledger/consent-domain';
import {
  ApiKeyGuard,
  AppError,
  RequireScopes,
  subjectIdSchema,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { sendJsonOrPage } from '../html';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AuditorService } from '../auditor.service';
import { timeAxes } from '../replay-options';
import { renderProofHtml } from '../proof/proof-report';

const timeText = textField(100, { minLength: 4 });

/** Most rows one replay answer carries; larger replays are the CLI's work (it streams to a file). */
const MAX_REPLAY_ROWS = 100_000;
const zone = textField(100).optional();
const list = z
  .union([textField(200_000), z.array(textField(200))])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')))
  .optional();

const replayQuery = z.strictObject({
  asOf: timeText,
  timeZone: zone,
  timeAxis: z.enum(timeAxes).default('recorded'),
  subjectId: list.pipe(z.array(subjectIdSchema).max(1000).optional()),
  purpose: list,
});
const verifyQuery = z.strictObject({ asOf: timeText.optional(), timeZone: zone });
const exportQuery = z.strictObject({
  from: timeText,
  to: timeText,
  timeZone: zone,
  format: z.enum(['ndjson', 'iso-27560', 'dpv']).default('ndjson'),
});
const proofQuery = z.strictObject({ format: z.enum(['json', 'html']).optional() });
const usageQuery = z
  .strictObject({
    campaignId: textField(200).optional(),
    jobId: textField(200).optional(),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
  })
  .refine((query) => query.campaignId || query.jobId, {
    message: 'give campaignId or jobId',
    path: ['campaignId'],
  });

function instant(
  field: string,
  text: string,
  timeZone: string | undefined,
  dateMeans: DateMeaning = 'end-of-day',
): Date {
  try {
    return resolveAsOf(text, timeZone, dateMeans).instant;
  } catch (error) {
    if (!(error instanceof InvalidAsOfError)) throw error;
    throw new AppError(error.code, 'Invalid time', error.message, [
      { field, code: error.code, message: error.message },
    ]);
  }
}

/**
 * Read-only audit endpoints (scope audit:read), the HTTP face of the auditor CLI. Replay, verify
 * and export read the log from its beginning on each call: they are for audits, not dashboards.
 */
@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('audit:read')
@Controller('v1/audit')
export class AuditHttpController {
  constructor(private readonly auditor: AuditorService) {}

  @Get('replay')
  @ApiOperation({
    summary: 'State as of a moment, replayed from the log with the projector’s fold',
    description:
      'asOf: ISO-8601 with an offset, or a local time with timeZone (a time skipped or repeated by daylight saving is refused, naming the choices). A date alone means the end of that day. timeAxis=recorded (default): what the system had recorded by then, the state its views held; timeAxis=occurred: what people had done by then, as the log knows it now.',
  })
  async replay(@Query(new ZodPipe(replayQuery)) query: z.output<typeof replayQuery>) {
    const at = instant('asOf', query.asOf, query.timeZone);
    try {
      if (query.purpose) this.auditor.assertPurposes(query.purpose);
    } catch (error) {
      if (!(error instanceof UnknownPurposeError)) throw error;
      throw new AppError(error.code, 'Unknown purpose', error.message, [
        { field: 'purpose', code: error.code, message: error.message },
      ]);
    }
    const result = await this.auditor.replay({
      asOf: at,
      timeAxis: query.timeAxis,
      ...(query.subjectId ? { subjectIds: query.subjectId } : {}),
    });
    const purposes = query.purpose?.length ?? this.auditor.purposeCount();
    if (result.states.size * purposes > MAX_REPLAY_ROWS) {
      throw new AppError(
        'AUDIT.REPLAY_TOO_LARGE',
        'Replay too large for one answer',
        `The replay holds ${result.states.size} subjects × ${purposes} purposes, more than ${MAX_REPLAY_ROWS} rows: narrow it with subjectId or purpose, or run \`auditor replay\` (CLI), which writes any size to a file.`,
      );
    }
    return {
      asOf: result.asOf,
      topic: result.topic,
      recordsRead: result.recordsRead,
      eventsApplied: result.eventsApplied,
      unreadable: result.unreadable,
      rows: this.auditor.rows(result.states, at, query.purpose),
    };
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Hash chains checked and the log compared with the read model',
    description: '`consistent: false` lists each finding with its partition and offset.',
  })
  verify(@Query(new ZodPipe(verifyQuery)) query: z.output<typeof verifyQuery>) {
    return this.auditor.verify(
      query.asOf ? { asOf: instant('asOf', query.asOf, query.timeZone) } : {},
    );
  }

  @Get('checkpoints/latest')
  @ApiOperation({
    summary: 'The latest signed checkpoint of the chain heads, with its leaves',
    description:
      'Keep it outside the system: `auditor verify --checkpoint <file>` measures any copy of the log against it. 404 when none has been taken.',
  })
  async latestCheckpoint() {
    const exported = await this.auditor.latestCheckpoint();
    if (!exported)
      throw new AppError(
        'CHECKPOINT.NONE_YET',
        'No checkpoint yet',
        'No chain checkpoint has been taken yet: the API takes one every CHAIN_CHECKPOINT_INTERVAL_MS.',
      );
    return exported;
  }

  @Get('events')
  @ApiProduces('application/x-ndjson', 'application/ld+json')
  @ApiOperation({
    summary: 'Events recorded in [from, to), one JSON object per line',
    description:
      '`format=iso-27560`: one ISO/IEC TS 27560 consent record per line; `format=dpv`: one W3C DPV JSON-LD document.',
  })
  async export(
    @Query(new ZodPipe(exportQuery)) query: z.output<typeof exportQuery>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const from = instant('from', query.from, query.timeZone, 'start-of-day');
    const to = instant('to', query.to, query.timeZone, 'start-of-day');
    if (to <= from)
      throw new AppError('REQUEST.INVALID_RANGE', 'Invalid range', '`to` must be after `from`', [
        { field: 'to', code: 'REQUEST.INVALID_RANGE', message: 'must be after from' },
      ]);
    const { events } = await this.auditor.export({ from, to });
    if (query.format === 'dpv') {
      await reply.status(200).type('application/ld+json').send(this.auditor.asDpv(events));
      return;
    }
    const asRecord =
      query.format === 'iso-27560'
        ? (event: (typeof events)[number]) => this.auditor.asIso27560(event)
        : (event: (typeof events)[number]) => event;
    // A stream, so that Fastify writes line after line as the client reads them.
    const lines = Readable.from(
      (function* () {
        for (const event of events) yield `${JSON.stringify(asRecord(event))}\n`;
      })(),
    );
    await reply.status(200).type('application/x-ndjson').send(lines);
  }

  @Get('subjects/:subjectId/proof')
  @ApiProduces('application/json', 'text/html')
  @ApiOperation({
    summary: 'Proof of consent: events, notices shown, evidence, deliveries and uses',
    description: 'JSON, or a printable HTML report with `format=html` or `Accept: text/html`.',
  })
  async proof(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Query(new ZodPipe(proofQuery)) query: z.output<typeof proofQuery>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await sendJsonOrPage(reply, query.format, await this.auditor.proof(subjectId), renderProofHtml);
  }

  @Get('subjects/:subjectId/usage')
  @ApiOperation({
    summary: 'Which campaigns and jobs used this person’s data, and the answers given',
  })
  async subjectUsage(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
  ) {
    return { subjectId, usage: await this.auditor.usage({ subjectId, limit: 100_000 }) };
  }

  @Get('usage')
  @ApiOperation({ summary: 'The subjects a campaign or job asked about, with the answers' })
  async usage(@Query(new ZodPipe(usageQuery)) query: z.output<typeof usageQuery>) {
    return {
      usage: await this.auditor.usage({
        ...(query.campaignId ? { campaignId: query.campaignId } : {}),
        ...(query.jobId ? { jobId: query.jobId } : {}),
        limit: query.limit,
      }),
    };
  }
}
