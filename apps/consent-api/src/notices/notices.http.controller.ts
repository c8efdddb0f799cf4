import { Body, Controller, Get, HttpCode, Param, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { sha256Hex } from '@consent-ledger/kafka';
import { AuditRepository } from '@consent-ledger/persistence';
import {
  ApiKeyGuard,
  AppError,
  CallerId,
  RequireScopes,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';

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
  private readonly audit = new AuditRepository();

  constructor(private readonly dataSource: DataSource) {}

  @Put()
  @RequireScopes('admin')
  @ApiOperation({
    summary: 'Register a notice version’s text (201; 200 when the same text is already there)',
    description:
      'Answers with the text’s SHA-256, the value collection channels send as notice.textSha256. A different text under an existing id and version is refused (409): a notice version is what people saw and never changes.',
  })
  async register(
    @Param('noticeId', new ZodPipe(noticeKey)) noticeId: string,
    @Param('version', new ZodPipe(noticeKey)) version: string,
    @Body(new ZodPipe(noticeBodySchema)) body: z.output<typeof noticeBodySchema>,
    @CallerId() registeredBy: string,
    @Res({ passthrough: true }) response: FastifyReply,
  ) {
    const textSha256 = sha256Hex(body.text);
    const { created, notice } = await this.audit.registerNotice(this.dataSource.manager, {
      noticeId,
      version,
      textSha256,
      text: body.text,
      language: body.language ?? null,
      title: body.title ?? null,
      registeredBy,
    });
    if (!created && notice.textSha256 !== textSha256) {
      throw new AppError(
        409,
        'NOTICE.VERSION_EXISTS',
        'Notice version already registered',
        `Notice '${noticeId}' version '${version}' is registered with a different text (SHA-256 ${notice.textSha256}); register the new text as a new version.`,
      );
    }
    response.status(created ? 201 : 200);
    return notice;
  }

  @Get()
  @HttpCode(200)
  @RequireScopes('consent:read')
  @ApiOperation({ summary: 'A notice version’s text and SHA-256' })
  async get(
    @Param('noticeId', new ZodPipe(noticeKey)) noticeId: string,
    @Param('version', new ZodPipe(noticeKey)) version: string,
  ) {
    const [notice] = await this.audit.notices(this.dataSource.manager, [{ noticeId, version }]);
    if (!notice)
      throw new AppError(
        404,
        'NOTICE.NOT_FOUND',
        'Notice not found',
        `Notice '${noticeId}' version '${version}' is not registered.`,
      );
    return notice;
  }
}
