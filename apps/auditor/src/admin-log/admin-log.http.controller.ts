import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, AppError, RequireScopes, ZodPipe } from '@consent-ledger/http';
import { API_KEY_STORE } from '@consent-ledger/persistence';
import type { AdminAuditEntry, ApiKeyStore } from '@consent-ledger/persistence';
import { z } from 'zod';

const logQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

/** The admin audit log: every key created, rotated or revoked, every erasure, every KEK rotation. */
@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('audit:read')
@Controller('v1/audit/admin-log')
export class AdminLogHttpController {
  constructor(@Inject(API_KEY_STORE) private readonly store: ApiKeyStore) {}

  @Get()
  @ApiOperation({
    summary:
      'Administrative actions in [from, to) (default: all), oldest first: who, what, on what, when',
  })
  async entries(
    @Query(new ZodPipe(logQuery)) query: z.output<typeof logQuery>,
  ): Promise<{ entries: AdminAuditEntry[] }> {
    const from = query.from ? new Date(query.from) : new Date(0);
    const to = query.to ? new Date(query.to) : new Date(8.64e15);
    if (to <= from)
      throw new AppError('REQUEST.INVALID_RANGE', 'Invalid range', '`to` must be after `from`', [
        { field: 'to', code: 'REQUEST.INVALID_RANGE', message: 'must be after from' },
      ]);
    return { entries: await this.store.auditLog(from, to, query.limit) };
  }
}
