import { Inject, Injectable, Logger } from '@nestjs/common';
import { TimedPass } from '@consent-ledger/observability';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type { LapsedGrant, WritePathStore } from '@consent-ledger/persistence';
import type { ConsentEventRequest } from '../record-consent/record-consent.request';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import { ExpiryPlan } from './expiry-plan';
import { systemExpiry } from './system-expiry';

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
 * lapsed grants are recorded a page of 200 at a time, each page one write in group commits of the
 * system's own; an erased subject's are left out (nothing of theirs is recorded again). The
 * idempotency key `expire:<grant event id>` makes a repeat, or the same expiry recorded by another
 * instance, a no-op. The answers do not wait for this: every decision denies a grant from its expiry.
 */
@Injectable()
export class ConsentExpirySchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpirySchedule.name);
  private readonly plan: ExpiryPlan;
  private readonly timing: TimedPass;

  constructor(
    @Inject(WRITE_PATH_STORE) private readonly store: WritePathStore,
    private readonly writer: ConsentEventWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.plan = new ExpiryPlan(config.consentPolicy.expiryRescanIntervalMs);
    this.timing = new TimedPass(
      this.logger,
      () => this.pass(Date.now()),
      async (now) => {
        const stored = await this.store.nextGrantExpiry(new Date(now));
        return this.plan.next(now, stored?.getTime() ?? null);
      },
      'expiries not recorded yet; trying again',
      RETRY_MS,
    );
    writer.onGrantExpiry((expiresAt) => this.expect(expiresAt.getTime()));
  }

  onApplicationBootstrap(): void {
    this.timing.start();
  }

  onApplicationShutdown(): void {
    this.timing.stop();
  }

  /** Records every expiry due now; resolves with how many were recorded (tests, the bench). */
  recordDue(): Promise<number> {
    return this.timing.run();
  }

  private expect(expiresAt: number): void {
    if (this.plan.expect(expiresAt, Date.now())) this.timing.wakeAt(expiresAt);
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
  return systemExpiry(
    grant,
    grant.expiresAt,
    'consent-expiry',
    `grant ${grant.eventId} expired`,
    `expire:${grant.eventId}`,
  );
}
