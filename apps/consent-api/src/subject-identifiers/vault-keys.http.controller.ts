import { Controller, HttpCode, Inject, Logger, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentCaller, RequireScopes } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import { API_KEY_STORE } from '@consent-ledger/persistence';
import type { ApiKeyStore } from '@consent-ledger/persistence';
import { IdentityVaultService } from './identity-vault.service';

/** The identity vault's keys: rotation of the key-encryption key. */
@ApiTags('identity vault')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('admin')
@Controller('v1/vault/key-encryption-key')
export class VaultKeysHttpController {
  private readonly logger = new Logger(VaultKeysHttpController.name);

  constructor(
    private readonly vault: IdentityVaultService,
    @Inject(API_KEY_STORE) private readonly adminLog: ApiKeyStore,
  ) {}

  @Post('rotations')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make a new key-encryption key current and rewrap every data key with it, while the vault keeps answering',
  })
  async rotate(@CurrentCaller() caller: Caller): Promise<{ kekId: string; rewrapped: number }> {
    const started = Date.now();
    const result = await this.vault.rotateKeyEncryptionKey((rewrapped) =>
      this.logger.log({ msg: 'rewrapping data keys', rewrapped }),
    );
    this.logger.log({
      msg: 'key-encryption key rotated',
      kekId: result.kekId,
      rewrapped: result.rewrapped,
      ms: Date.now() - started,
    });
    await this.adminLog.audit({
      actor: caller.keyId,
      action: 'vault.rotate-key-encryption-key',
      target: result.kekId,
      details: { rewrapped: result.rewrapped },
    });
    return result;
  }
}
