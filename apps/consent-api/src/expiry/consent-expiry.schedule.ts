import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type { LapsedGrant, WritePathStore } from '@consent-ledger/persistence';
import type { ConsentEventRequest } from '../record-consent/record-consent.request';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import { ExpiryPlan } from './expiry-plan';

/** Expiries one write carries (the system's writes commit beside the callers', not among them). */
const PAGE = 200;
/** After a failed pass, the next one waits this long. */
const RETRY_MS = 1_000;

/**
 * Records the system's EXPIRE event for every grant at the instant it expires, through the same
 * write path as any other event (validation, hash chain, idempotency), so that the log, the
 * views, the suppression topics and every replay agree on when consent lapsed. Not a polling
 * interval: a timer set to the next expiry the read model holds, moved earlier by every grant
 * this instance accepts (whose expiry the read model may not hold yet), and looking again at
 * least every EXPIRY_RESCAN_INTERVAL_MS for grants other instances accepted. At the instant, the
 * lapsed grants are recorded a page of 1,000 at a time, each page one write. The idempotency key
 * `expire:<grant event id>` makes a repeat, or the same expiry recorded by another instance, a
 * no-op. The answers do not wait for this: every decision denies a grant from its expiry.
 */
@Injectable()
export class ConsentExpirySchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpirySchedule.name);
  private readonly plan: ExpiryPlan;
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    @Inject(WRITE_PATH_STORE) private readonly store: WritePathStore,
    private readonly writer: ConsentEventWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.plan = new ExpiryPlan(config.consentPolicy.expiryRescanIntervalMs);
    writer.onGrantExpiry((expiresAt) => this.expect(expiresAt.getTime()));
  }

  onApplicationBootstrap(): void {
    this.wakeAt(Date.now());
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Records every expiry due now; resolves with how many were recorded (tests, the bench). */
  async recordDue(): Promise<number> {
    while (this.running) await this.running.catch(() => 0);
    this.running = this.pass(Date.now());
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private expect(expiresAt: number): void {
    if (this.plan.expect(expiresAt, Date.now())) this.wakeAt(expiresAt);
  }

  private wakeAt(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => void this.wake(), Math.max(0, at - Date.now()));
  }

  private async wake(): Promise<void> {
    this.timerAt = Number.POSITIVE_INFINITY;
    let next: number;
    try {
      await this.recordDue();
      const now = Date.now();
      const stored = await this.store.nextGrantExpiry(new Date(now));
      next = this.plan.next(now, stored?.getTime() ?? null);
    } catch (error) {
      this.logger.warn({
        msg: 'expiries not recorded yet; trying again',
        error: (error as Error).message,
      });
      next = Date.now() + RETRY_MS;
    }
    this.wakeAt(next);
  }

  /**
   * Records the grants lapsed by `at`, a page at a time (the next page read while the last is
   * written); returns how many it recorded.
   */
  private async pass(at: number): Promise<number> {
    const instant = new Date(at);
    let recorded = 0;
    let page = await this.store.lapsedGrants(PAGE, instant);
    for (;;) {
      const next =
        page.length < PAGE ? undefined : this.store.lapsedGrants(PAGE, instant, page.at(-1));
      // A failed read of the next page waits until this page's write is done.
      next?.catch(() => undefined);
      recorded += await this.record(page);
      if (!next) break;
      page = await next;
    }
    if (recorded > 0) this.logger.log({ msg: 'recorded expiries', count: recorded });
    return recorded;
  }

  private async record(page: readonly LapsedGrant[]): Promise<number> {
    const due = page.filter((grant) => !grant.erased && this.plan.due(grant.eventId, Date.now()));
    if (due.length === 0) return 0;
    await this.writer.accept(due.map(expiryOf), (index) => `expiries[${index}].`, {
      kind: 'system',
      component: 'consent-expiry',
    });
    this.plan.recorded(due.map(({ eventId }) => eventId));
    return due.length;
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
