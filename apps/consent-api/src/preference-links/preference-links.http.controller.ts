import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiKeyGuard,
  CurrentCaller,
  jurisdictionSchema,
  RequireScopes,
  subjectIdSchema,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import { API_KEY_STORE } from '@consent-ledger/persistence';
import type { ApiKeyStore } from '@consent-ledger/persistence';
import { LinkSigningKeyring } from '@consent-ledger/signed-links';
import type { PublicSigningKey } from '@consent-ledger/signed-links';
import { z } from 'zod';
import { LINK_SIGNING_KEYRING, PreferenceLinksService } from './preference-links.service';
import type { IssuedPreferenceLink } from './preference-links.service';

const linkRequestSchema = z.strictObject({
  jurisdiction: jurisdictionSchema.optional(),
  purpose: textField(100).optional(),
  /** Up to 90 days: an email's one-click link must outlive the campaign. */
  ttlHours: z.number().min(0.01).max(2_160).optional(),
});

/** Signed links into the preference centre, for the operator's backend and email templates. */
@ApiTags('preference links')
@Controller('v1')
export class PreferenceLinksHttpController {
  constructor(
    private readonly links: PreferenceLinksService,
    @Inject(LINK_SIGNING_KEYRING) private readonly keyring: LinkSigningKeyring,
    @Inject(API_KEY_STORE) private readonly adminLog: ApiKeyStore,
  ) {}

  @Post('subjects/:subjectId/preference-links')
  @HttpCode(201)
  @ApiBearerAuth()
  @UseGuards(ApiKeyGuard)
  @RequireScopes('preference-link:issue')
  @ApiOperation({
    summary:
      "A signed, expiring link into the preference centre for one person; with `purpose`, also RFC 8058 one-click unsubscribe headers for the person's emails",
  })
  issue(
    @Param('subjectId', new ZodPipe(subjectIdSchema, 'subjectId')) subjectId: string,
    @Body(new ZodPipe(linkRequestSchema)) request: z.output<typeof linkRequestSchema>,
  ): Promise<IssuedPreferenceLink> {
    return this.links.issue(subjectId, request);
  }

  @Get('preference-links/signing-keys')
  @ApiOperation({
    summary:
      'The public keys preference links are signed with (every key not retired; the current one marked): what the preference centre verifies links with',
  })
  signingKeys(): { keys: PublicSigningKey[] } {
    return { keys: this.keyring.publicKeys() };
  }

  @Post('preference-links/signing-keys/rotations')
  @HttpCode(200)
  @ApiBearerAuth()
  @UseGuards(ApiKeyGuard)
  @RequireScopes('admin')
  @ApiOperation({
    summary:
      'Sign new links with a new key; links signed before keep working until they expire (the old public key stays published)',
  })
  async rotate(@CurrentCaller() caller: Caller): Promise<{ keyId: string }> {
    const keyId = this.keyring.rotate();
    await this.adminLog.audit({
      actor: caller.keyId,
      action: 'preference-links.rotate-signing-key',
      target: keyId,
      details: {},
    });
    return { keyId };
  }
}
