import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { ChainCheckpointPublisher, consentTopics, signCheckpoint } from '@consent-ledger/kafka';
import type { ChainCheckpoint } from '@consent-ledger/kafka';
import { CHAIN_HEADS_STORE } from '@consent-ledger/persistence';
import type { ChainHeadsStore } from '@consent-ledger/persistence';
import { v7 as uuidv7 } from 'uuid';
import { PeriodicSweep } from '@consent-ledger/observability';
import { loadSigningKey } from './checkpoint-signing-key';

/** How long a checkpoint waits for the writes in flight when it began to end. */
const IN_FLIGHT_DEADLINE_MS = 30_000;

/**
 * Signs and publishes a checkpoint of every subject's chain head, as the API recorded them, to
 * the checkpoints topic (every CHAIN_CHECKPOINT_INTERVAL_MS, or when asked). The frontier is read
 * first; then the checkpoint waits until every transaction that had begun by then has ended, so
 * that every event below the frontier that the API wrote has its head in the table read after.
 * An event below the frontier that the heads do not account for was not written by the API.
 */
@Injectable()
export class ChainCheckpointer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChainCheckpointer.name);
  private readonly eventsTopic: string;
  private readonly periodic = new PeriodicSweep(
    this.logger,
    async () => ((await this.checkpoint()) ? 1 : 0),
    'chain checkpoint failed; the next one retries',
  );

  constructor(
    @Inject(CHAIN_HEADS_STORE) private readonly heads: ChainHeadsStore,
    private readonly publisher: ChainCheckpointPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.eventsTopic = consentTopics(config.kafka.topicPrefix).events;
  }

  onApplicationBootstrap(): void {
    const { intervalMs } = this.config.chainCheckpoints;
    if (intervalMs === 0) return;
    // Fails the boot when production has no key, rather than the first checkpoint an hour later.
    loadSigningKey(this.config.chainCheckpoints);
    this.periodic.start(intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.periodic.stop();
    await this.publisher.close();
  }

  /**
   * Takes, signs and publishes a checkpoint; resolves once Kafka holds it. Undefined when another
   * instance is taking one at the same time.
   */
  async checkpoint(): Promise<ChainCheckpoint | undefined> {
    const key = loadSigningKey(this.config.chainCheckpoints);
    return this.heads.exclusively(async (session) => {
      const frontier = await this.publisher.frontier();
      await session.waitForWritesInFlight(IN_FLIGHT_DEADLINE_MS);
      const leaves = await session.heads();
      const checkpoint = signCheckpoint(
        {
          checkpointId: uuidv7(),
          topic: this.eventsTopic,
          createdAt: new Date().toISOString(),
          frontier,
        },
        leaves,
        key,
      );
      await this.publisher.publish(checkpoint, leaves);
      await session.record(checkpoint);
      this.logger.log({
        msg: 'chain checkpoint published',
        checkpointId: checkpoint.checkpointId,
        subjects: checkpoint.subjectCount,
        merkleRoot: checkpoint.merkleRoot,
      });
      return checkpoint;
    });
  }
}
