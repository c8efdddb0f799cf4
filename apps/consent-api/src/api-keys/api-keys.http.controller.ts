import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { apiKeyRoles, apiScopes } from '@consent-ledger/config';
import { collectionChannels } from '@consent-ledger/consent-domain';
import { ApiKeyGuard, CurrentCaller, RequireScopes, ZodPipe } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import { z } from 'zod';
import { ApiKeysService } from './api-keys.service';
import type { ApiKeyView, IssuedSecret } from './api-keys.service';

const keyIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'lower-case letters, digits, . _ -; 2 to 63 characters');

const newKeySchema = z
  .strictObject({
    keyId: keyIdSchema,
    role: z.enum(apiKeyRoles as [string, ...string[]]).optional(),
    scopes: z.array(z.enum(apiScopes)).min(1).optional(),
    channels: z.array(z.enum(collectionChannels)).min(1).optional(),
  })
  .refine((body) => (body.role === undefined) !== (body.scopes === undefined), {
    message: 'give a role or scopes, not both',
    path: ['role'],
  });

const rotationSchema = z.strictObject({
  /** How long the key's current secrets stay valid beside the new one (default a day). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
});

/** Managed API keys (scope admin): created, listed, rotated and revoked on every app at once. */
@ApiTags('api keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('admin')
@Controller('v1/api-keys')
export class ApiKeysHttpController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a key with a role or scopes; its secret is shown in this answer only',
  })
  create(
    @Body(new ZodPipe(newKeySchema)) body: z.output<typeof newKeySchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<IssuedSecret> {
    return this.keys.create(body as Parameters<ApiKeysService['create']>[0], caller.keyId);
  }

  @Get()
  @ApiOperation({ summary: 'Every key, managed or seeded from API_KEYS (never a secret)' })
  async list(): Promise<{ keys: ApiKeyView[] }> {
    return { keys: await this.keys.list() };
  }

  @Post(':keyId/rotations')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A new secret for the key; its other secrets stay valid for overlapSeconds more',
  })
  rotate(
    @Param('keyId', new ZodPipe(keyIdSchema, 'keyId')) keyId: string,
    @Body(new ZodPipe(rotationSchema)) body: z.output<typeof rotationSchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<IssuedSecret> {
    return this.keys.rotate(keyId, body.overlapSeconds, caller.keyId);
  }

  @Delete(':keyId')
  @ApiOperation({ summary: 'Revoke the key: refused on every app within a second' })
  revoke(
    @Param('keyId', new ZodPipe(keyIdSchema, 'keyId')) keyId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<ApiKeyView> {
    return this.keys.revoke(keyId, caller.keyId);
  }
}
