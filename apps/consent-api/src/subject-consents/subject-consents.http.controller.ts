import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { EventPage } from '@consent-ledger/persistence';
import { z } from 'zod';
import {
  ApiKeyGuard,
  jurisdictionSchema,
  RequireScopes,
  subjectIdSchema,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import { SubjectConsentsService } from './subject-consents.service';
import type { SubjectConsents } from './subject-consents.service';

const consentsQuerySchema = z.strictObject({
  jurisdiction: jurisdictionSchema.optional(),
  asOf: z.iso
    .datetime({
      offset: true,
      message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-03-29T01:30:00+01:00',
    })
    .optional(),
});
const eventsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: textField(500).optional(),
});

/** What is allowed for one subject, and what they chose. */
@ApiTags('subjects')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('consent:read')
@Controller('v1/subjects/:subjectId')
export class SubjectConsentsHttpController {
  constructor(private readonly subjects: SubjectConsentsService) {}

  @Get('consents')
  @ApiOperation({
    summary:
      "The subject's current state for every purpose, with the regime's default where no choice was made",
  })
  @ApiQuery({
    name: 'jurisdiction',
    required: false,
    description: "Decide under this jurisdiction instead of the subject's last known one",
  })
  consents(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Query(new ZodPipe(consentsQuerySchema)) query: z.output<typeof consentsQuerySchema>,
  ): Promise<SubjectConsents> {
    return this.subjects.consents(
      subjectId,
      query.asOf ? new Date(query.asOf) : undefined,
      query.jurisdiction,
    );
  }

  @Get('events')
  @ApiOperation({ summary: "The subject's consent events in the order they were recorded, paged" })
  async events(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Query(new ZodPipe(eventsQuerySchema)) query: z.output<typeof eventsQuerySchema>,
  ): Promise<{ subjectId: string } & EventPage> {
    return {
      subjectId,
      ...(await this.subjects.events(subjectId, query.limit, query.after ?? null)),
    };
  }
}
