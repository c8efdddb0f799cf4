import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type { LapsedGrant, WritePathStore } from '@consent-ledger/persistence';
import type { ConsentEventRequest } from '../record-consent/record-consent.request';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import { PeriodicSweep } from '../periodic-sweep';

/** Most expiries one sweep records. */
const SWEEP_LIMIT = 1_000;

/**
 * Records the system's EXPIRE event for every grant past its expiry, through the same write path
 * as any other event (validation, hash chain, idempotency), so that the log, the views, the
 * suppression topics and every replay agree on when consent lapsed. The idempotency key
 * `expire:<grant event id>` makes a repeated sweep, or one in another API instance, a no-op.
 */
@Injectable()
export class ConsentExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpirySweeper.name);
  private readonly periodic = new PeriodicSweep(
    this.logger,
    () => this.recordExpiries(),
    'expiry sweep failed; the next sweep retries',
  );

  constructor(
    @Inject(WRITE_PATH_STORE) private readonly store: WritePathStore,
    private readonly writer: ConsentEventWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.config.consentPolicy.expirySweepIntervalMs);
  }

  onApplicationShutdown(): void {
    this.periodic.stop();
  }

  /** One sweep; returns how many expiries it submitted. */
  sweep(): Promise<number> {
    return this.periodic.run();
  }

  private async recordExpiries(): Promise<number> {
    const lapsed = await this.store.lapsedGrants(SWEEP_LIMIT);
    if (lapsed.length === 0) return 0;
    await this.writer.accept(lapsed.map(expiryOf), (index) => `expiries[${index}].`, {
      kind: 'system',
      component: 'consent-expiry',
    });
    this.logger.log({ msg: 'recorded expiries', count: lapsed.length });
    return lapsed.length;
  }
}

function expiryOf(grant: LapsedGrant): ConsentEventRequest {
  return {
    subjectId: grant.subjectId,
    purpose: grant.purpose,
    action: 'EXPIRE',
    jurisdiction: grant.jurisdiction,
    legalBasis: grant.legalBasis as ConsentEventRequest['legalBasis'],
    channel: 'SYSTEM',
    method: 'SYSTEM',
    notice: null,
    occurredAt: grant.expiresAt.toISOString(),
    expiresAt: null,
    actor: { type: 'SYSTEM', id: 'consent-expiry' },
    evidence: {
      ipAddressHash: null,
      userAgent: null,
      reference: `grant ${grant.eventId} expired`,
    },
    ageBand: null,
    idempotencyKey: `expire:${grant.eventId}`,
  };
}
