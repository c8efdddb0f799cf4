import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, RequireScopes, subjectIdSchema, ZodPipe } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AuditorService } from '../auditor.service';

const formatQuery = z.strictObject({ format: z.enum(['iso-27560', 'dpv']) });

/** A subject's consent records in the interchange formats (for a time range: /v1/audit/events). */
@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('audit:read')
@Controller('v1/audit/subjects/:subjectId/consent-records')
export class ConsentRecordsHttpController {
  constructor(private readonly auditor: AuditorService) {}

  @Get()
  @ApiProduces('application/json', 'application/ld+json')
  @ApiOperation({
    summary:
      'Every consent record of a subject, as ISO/IEC TS 27560 JSON (`format=iso-27560`) or as a W3C DPV JSON-LD document (`format=dpv`)',
  })
  async records(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Query(new ZodPipe(formatQuery)) query: z.output<typeof formatQuery>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const events = await this.auditor.eventsOf(subjectId);
    if (query.format === 'dpv') {
      await reply.status(200).type('application/ld+json').send(this.auditor.asDpv(events));
      return;
    }
    await reply
      .status(200)
      .type('application/json')
      .send({ subjectId, records: events.map((event) => this.auditor.asIso27560(event)) });
  }
}
