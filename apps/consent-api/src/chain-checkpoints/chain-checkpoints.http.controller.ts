import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChainCheckpoint } from '@consent-ledger/kafka';
import { ApiKeyGuard, AppError, RequireScopes } from '@consent-ledger/http';
import { ChainCheckpointer } from './chain-checkpointer';

@ApiTags('operations')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('operations')
@Controller('v1/chain-checkpoints')
export class ChainCheckpointsHttpController {
  constructor(private readonly checkpointer: ChainCheckpointer) {}

  /** Before an audit or an export: a checkpoint now, rather than at the next interval. */
  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Take, sign and publish a chain checkpoint now; answers once Kafka holds it',
  })
  async take(): Promise<ChainCheckpoint> {
    const taken = await this.checkpointer.checkpoint();
    if (!taken)
      throw new AppError(
        'CHECKPOINT.IN_PROGRESS',
        'A checkpoint is being taken',
        'Another instance is taking a chain checkpoint at this moment; ask again in a few seconds.',
      );
    return taken;
  }
}
