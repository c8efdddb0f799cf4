import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiKeyGuard, RequireScopes } from '@consent-ledger/http';

/**
 * The benchmark's baseline: the same app, auth, body parsing and logging as POST /v1/decisions,
 * with no decision. What a decision costs is the difference.
 */
@ApiExcludeController()
@UseGuards(ApiKeyGuard)
@RequireScopes('decision:read')
@Controller('v1/no-op')
export class NoOpHttpController {
  @Post()
  @HttpCode(200)
  noOp(): { ok: true } {
    return { ok: true };
  }
}
