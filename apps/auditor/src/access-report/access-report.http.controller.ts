import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, RequireScopes, subjectIdSchema, ZodPipe } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AuditorService } from '../auditor.service';
import { sendJsonOrPage } from '../html';
import { renderAccessReportHtml } from './access-report-html';

const reportQuery = z.strictObject({ format: z.enum(['json', 'html']).optional() });

/** Subject access: what a person (or an agent for them) may ask to see of their record. */
@ApiTags('subject access')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('audit:read')
@Controller('v1/subjects/:subjectId/access-report')
export class AccessReportHttpController {
  constructor(private readonly auditor: AuditorService) {}

  @Get()
  @ApiProduces('application/json', 'text/html')
  @ApiOperation({
    summary:
      "A person's access report: where they stand per purpose and what data it uses, every choice, the notices shown, what each downstream system was told, and who asked about their data",
    description: 'JSON, or a page a person can read with `format=html` or `Accept: text/html`.',
  })
  async report(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Query(new ZodPipe(reportQuery)) query: z.output<typeof reportQuery>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await sendJsonOrPage(
      reply,
      query.format,
      await this.auditor.accessReport(subjectId),
      renderAccessReportHtml,
    );
  }
}
