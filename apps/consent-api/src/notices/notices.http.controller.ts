import { Body, Controller, Get, HttpCode, Param, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CallerId, RequireScopes, textField, ZodPipe } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { NoticeRegistrationService } from './notice-registration.service';

const noticeKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');

const noticeBodySchema = z.strictObject({
  /** The exact text shown to people, byte for byte: its SHA-256 is what events record. */
  text: textField(1_000_000, { multiline: true }),
  language: textField(35, { minLength: 2 }).optional(),
  title: textField(500).optional(),
});

/**
 * The notice registry: the exact text of each notice version by id, version and SHA-256, so that
 * a proof of consent shows what the person was shown. Versions are immutable.
 */
@ApiTags('notices')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/notices/:noticeId/versions/:version')
export class NoticesHttpController {
  constructor(private readonly notices: NoticeRegistrationService) {}

  @Put()
  @RequireScopes('admin')
  @ApiOperation({
    summary: 'Register a notice version’s text (201; 200 when the same text is already there)',
    description:
      'Answers with the text’s SHA-256, the value collection channels send as notice.textSha256. A different text under an existing id and version is refused (409): a notice version is what people saw and never changes.',
  })
  async register(
    @Param('noticeId', new ZodPipe(noticeKey, 'noticeId')) noticeId: string,
    @Param('version', new ZodPipe(noticeKey, 'version')) version: string,
    @Body(new ZodPipe(noticeBodySchema)) body: z.output<typeof noticeBodySchema>,
    @CallerId() registeredBy: string,
    @Res({ passthrough: true }) response: FastifyReply,
  ) {
    const { created, notice } = await this.notices.register(
      noticeId,
      version,
      { text: body.text, language: body.language ?? null, title: body.title ?? null },
      registeredBy,
    );
    response.status(created ? 201 : 200);
    return notice;
  }

  @Get()
  @HttpCode(200)
  @RequireScopes('consent:read')
  @ApiOperation({ summary: 'A notice version’s text and SHA-256' })
  async get(
    @Param('noticeId', new ZodPipe(noticeKey, 'noticeId')) noticeId: string,
    @Param('version', new ZodPipe(noticeKey, 'version')) version: string,
  ) {
    return this.notices.find(noticeId, version);
  }
}
