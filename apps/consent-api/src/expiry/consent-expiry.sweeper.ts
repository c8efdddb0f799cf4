import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { DataSource } from 'typeorm';
import type { ConsentEventRequest } from '../consent-events/consent-event.request';
import { ConsentEventWriter } from '../consent-events/consent-event.writer';
import { PeriodicSweep } from '../periodic-sweep';

/** Most expiries one sweep records. */
const SWEEP_LIMIT = 1_000;

interface LapsedGrant {
  subject_id: string;
  purpose: string;
  event_id: string;
  expires_at: Date;
  jurisdiction: string;
  legal_basis: ConsentEventRequest['legalBasis'];
}

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
    private readonly dataSource: DataSource,
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
    const lapsed: LapsedGrant[] = await this.dataSource.query(
      `SELECT subject_id, purpose, event_id, expires_at, jurisdiction, legal_basis FROM consent_choice
        WHERE action = 'GRANT' AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [SWEEP_LIMIT],
    );
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
    subjectId: grant.subject_id,
    purpose: grant.purpose,
    action: 'EXPIRE',
    jurisdiction: grant.jurisdiction,
    legalBasis: grant.legal_basis,
    channel: 'SYSTEM',
    method: 'SYSTEM',
    notice: null,
    occurredAt: grant.expires_at.toISOString(),
    expiresAt: null,
    actor: { type: 'SYSTEM', id: 'consent-expiry' },
    evidence: {
      ipAddressHash: null,
      userAgent: null,
      reference: `grant ${grant.event_id} expired`,
    },
    ageBand: null,
    idempotencyKey: `expire:${grant.event_id}`,
  };
}
