import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { ERASURE_STORE } from '@consent-ledger/persistence';
import type { ErasureStore } from '@consent-ledger/persistence';
import { PeriodicSweep } from '@consent-ledger/observability';
import { SubjectErasureService } from './subject-erasure.service';

/** Most held erasures one sweep looks at. */
const SWEEP_LIMIT = 500;

/**
 * Destroys the data keys that erasures hold for downstream systems addressing people through the
 * vault, as soon as those systems confirmed deleting the person (or the hold ran out): every
 * ERASURE_SWEEP_INTERVAL_MS. Destroying a key is idempotent, so sweeps in several API instances
 * do no harm.
 */
@Injectable()
export class ErasureKeySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ErasureKeySweeper.name);
  private readonly periodic = new PeriodicSweep(
    this.logger,
    () => this.destroyDueKeys(),
    'erasure key sweep failed; the next sweep retries',
  );

  constructor(
    @Inject(ERASURE_STORE) private readonly store: ErasureStore,
    private readonly erasures: SubjectErasureService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.vault.erasureSweepIntervalMs);
  }

  onApplicationShutdown(): void {
    this.periodic.stop();
  }

  /** One sweep; returns how many keys it destroyed. */
  sweep(): Promise<number> {
    return this.periodic.run();
  }

  private async destroyDueKeys(): Promise<number> {
    let destroyed = 0;
    for (const erasure of await this.store.keysHeld(SWEEP_LIMIT))
      if ((await this.erasures.destroyKeyWhenDue(erasure)) !== undefined) destroyed += 1;
    return destroyed;
  }
}
