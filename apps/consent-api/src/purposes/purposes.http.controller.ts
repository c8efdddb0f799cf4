import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CONSENT_POLICY } from '@consent-ledger/config';
import type { LoadedConsentPolicy } from '@consent-ledger/config';
import type { Purpose } from '@consent-ledger/consent-domain';
import { ApiKeyGuard, RequireScopes } from '@consent-ledger/http';

@ApiTags('purposes')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('consent:read')
@Controller('v1/purposes')
export class PurposesHttpController {
  constructor(@Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy) {}

  @Get()
  @ApiOperation({
    summary: 'The purpose taxonomy: ids, parents, children, legal basis and data categories',
  })
  list(): { version: string; purposes: Purpose[] } {
    const { taxonomy } = this.consentPolicy;
    return { version: taxonomy.version, purposes: [...taxonomy.purposes.values()] };
  }
}
