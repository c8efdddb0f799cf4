import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, RequireScopes, ZodPipe } from '@consent-ledger/http';
import { z } from 'zod';
import { emailField } from '../subject-identifiers/subject-identifiers.request';
import { OneTimeCodesService } from './one-time-codes.service';
import type { IssuedOneTimeCode } from './one-time-codes.service';

const issueSchema = z.strictObject({ email: emailField });
const verifySchema = z.strictObject({
  code: z.string().regex(/^\d{6}$/, 'must be the six digits that were sent'),
});
const codeIdSchema = z.uuid({ message: 'must be a code id' });

/**
 * One-time codes into the preference centre, for the centre alone (scope one-time-code: asking
 * for a code finds a person by email address, which a collection channel's key may not do).
 */
@ApiTags('preference links')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('one-time-code')
@Controller('v1/one-time-codes')
export class OneTimeCodesHttpController {
  constructor(private readonly codes: OneTimeCodesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'A one-time code for the one person holding this email address in the vault, for the caller to send them (404 when none, 429 after three in fifteen minutes)',
  })
  issue(
    @Body(new ZodPipe(issueSchema)) body: z.output<typeof issueSchema>,
  ): Promise<IssuedOneTimeCode> {
    return this.codes.issue(body.email);
  }

  @Post(':codeId/verification')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Checks a code (once, five tries at most, within ten minutes); answers whose preference centre it opens',
  })
  verify(
    @Param('codeId', new ZodPipe(codeIdSchema, 'codeId')) codeId: string,
    @Body(new ZodPipe(verifySchema)) body: z.output<typeof verifySchema>,
  ): Promise<{ subjectId: string; jurisdiction: string | null }> {
    return this.codes.verify(codeId, body.code);
  }
}
