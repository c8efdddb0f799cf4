import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, RequireScopes, subjectIdSchema, ZodPipe } from '@consent-ledger/http';
import type { IdentifierKind } from '@consent-ledger/vault';
import type { z } from 'zod';
import { IdentityVaultService } from './identity-vault.service';
import type { SubjectIdentifiers } from './identity-vault.service';
import { lookupSchema, putIdentifiersSchema } from './subject-identifiers.request';

const lookupKinds = {
  email: 'EMAIL',
  phone: 'PHONE',
  crmId: 'CRM_ID',
  deviceId: 'DEVICE_ID',
} as const satisfies Record<keyof z.output<typeof lookupSchema>, IdentifierKind>;

/** The identity vault: a subject's direct identifiers, kept sealed, and lookup by identifier. */
@ApiTags('identity vault')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/subjects')
export class SubjectIdentifiersHttpController {
  constructor(private readonly vault: IdentityVaultService) {}

  @Put(':subjectId/identifiers')
  @HttpCode(200)
  @RequireScopes('identity:write')
  @ApiOperation({
    summary:
      "Store a subject's email, phone, CRM id or device ids, each sealed with the subject's own key",
  })
  async put(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Body(new ZodPipe(putIdentifiersSchema)) body: z.output<typeof putIdentifiersSchema>,
  ): Promise<{ subjectId: string; stored: IdentifierKind[] }> {
    return { subjectId, stored: await this.vault.put(subjectId, body) };
  }

  @Get(':subjectId/identifiers')
  @RequireScopes('identity:read')
  @ApiOperation({ summary: "A subject's identifiers, opened from the vault" })
  async get(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
  ): Promise<{ subjectId: string; identifiers: SubjectIdentifiers }> {
    return { subjectId, identifiers: await this.vault.get(subjectId) };
  }

  @Post('lookup')
  @HttpCode(200)
  @RequireScopes('identity:read')
  @ApiOperation({
    summary:
      'The subjects holding an identifier, found by its blind index, and whether it belonged to an erased subject (suppressed)',
  })
  async lookup(
    @Body(new ZodPipe(lookupSchema)) body: z.output<typeof lookupSchema>,
  ): Promise<{ subjectIds: string[]; erased: boolean }> {
    const [field, value] = Object.entries(body)[0] as [keyof typeof lookupKinds, string];
    return this.vault.lookup(lookupKinds[field], value);
  }
}
