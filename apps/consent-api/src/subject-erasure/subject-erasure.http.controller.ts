import { Controller, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiKeyGuard,
  CurrentCaller,
  RequireScopes,
  subjectIdSchema,
  ZodPipe,
} from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { SubjectErasureService } from './subject-erasure.service';
import type { ErasureStatus } from './subject-erasure.service';

/** Erasure at a person's request: crypto-shredding, recorded on the log, told downstream. */
@ApiTags('erasure')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/subjects')
export class SubjectErasureHttpController {
  constructor(private readonly erasure: SubjectErasureService) {}

  @Post(':subjectId/erasure')
  @HttpCode(202)
  @RequireScopes('erasure')
  @ApiOperation({
    summary:
      'Erase a subject: record ERASE on the log, destroy its data key, tell every downstream system (idempotent; 202 with a status to poll)',
  })
  async erase(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ErasureStatus> {
    const status = await this.erasure.erase(subjectId, caller.keyId);
    void reply.header('location', `/v1/subjects/${encodeURIComponent(subjectId)}/erasure`);
    return status;
  }

  @Get(':subjectId/erasure')
  @RequireScopes('erasure')
  @ApiOperation({
    summary: "Where a subject's erasure stands, and which downstream systems confirmed it",
  })
  status(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
  ): Promise<ErasureStatus> {
    return this.erasure.status(subjectId);
  }
}
