import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { awaitsReconsent } from '@consent-ledger/consent-domain';
import { LIFECYCLE_STORE } from '@consent-ledger/persistence';
import type { LatestChoice, LifecycleStore, ReconsentCampaign } from '@consent-ledger/persistence';
import { PeriodicSweep } from '@consent-ledger/observability';
import { LifecycleRecords } from '../lifecycle-messages/lifecycle-records';
import { choicesByKey, isErased } from '../lifecycle-messages/message-checks';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import type { ConsentEventRequest } from '../record-consent/record-consent.request';
import { systemExpiry } from '../expiry/system-expiry';

/** People settled per write. */
const PAGE = 200;
/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Applies the policy when a campaign's grace period ends: the grants of people who did not answer
 * stop counting, by the system's EXPIRE event (through the write path, so suppression reaches
 * every downstream system and a replay agrees), with the campaign as its evidence. Then the
 * campaign is finished. Looks every LIFECYCLE_SCAN_INTERVAL_MS, and at the grace end of each
 * campaign this instance started. The idempotency key `reconsent:<campaign>:<grant>` makes a
 * repeat after a crash, or another instance doing the same, a no-op.
 */
@Injectable()
export class ReconsentGraceSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconsentGraceSchedule.name);
  private readonly sweep = new PeriodicSweep(
    this.logger,
    () => this.finishDue(),
    'grace periods not applied yet; trying again',
  );
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(LIFECYCLE_STORE) private readonly store: LifecycleStore,
    private readonly writer: ConsentEventWriter,
    private readonly records: LifecycleRecords,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep.start(this.config.consentPolicy.lifecycle.scanIntervalMs);
  }

  onApplicationShutdown(): void {
    this.sweep.stop();
    this.timers.forEach(clearTimeout);
  }

  /**
   * Looks again at the campaign's grace end (one further than a timer reaches, 24.8 days, is found
   * by the periodic look).
   */
  expectGraceEnd(campaign: ReconsentCampaign): void {
    const delay = Math.max(0, campaign.graceEndsAt.getTime() - Date.now());
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.sweep.run();
    }, delay);
    this.timers.add(timer);
  }

  /** Finishes every campaign whose grace period ended; resolves with how many it finished. */
  async finishDue(): Promise<number> {
    const campaigns = await this.store.campaignsToFinish(new Date());
    for (const campaign of campaigns) await this.finish(campaign);
    return campaigns.length;
  }

  private async finish(campaign: ReconsentCampaign): Promise<void> {
    let after: string | null = null;
    let lapsed = 0;
    for (;;) {
      const people = await this.store.pendingSubjects(campaign.campaignId, after, PAGE);
      if (people.length === 0) break;
      lapsed += await this.lapse(
        campaign,
        people.map(({ subjectId }) => subjectId),
      );
      after = people.at(-1)!.subjectId;
    }
    await this.records.campaign('RECONSENT_CAMPAIGN_FINISHED', campaign, {
      ...(await this.store.progress(campaign.campaignId)).subjects,
    });
    await this.store.finish(campaign.campaignId);
    this.logger.log({
      msg: 're-consent campaign finished',
      campaignId: campaign.campaignId,
      lapsed,
    });
  }

  /** Expires the grants still on the old notice; settles everyone of the page. */
  private async lapse(campaign: ReconsentCampaign, subjectIds: readonly string[]): Promise<number> {
    const notice = { noticeId: campaign.noticeId, version: campaign.noticeVersion };
    const choices = await this.store.latestChoices(subjectIds);
    const known = choicesByKey(choices);
    // An erased person's consent is gone already, and nothing of theirs may be recorded again.
    const erased = subjectIds.filter((subjectId) => isErased(subjectId, known));
    await this.store.settle(campaign.campaignId, erased, 'LAPSED');
    const stale = choices.filter(
      (choice) =>
        !isErased(choice.subjectId, known) && awaitsReconsent(choice, notice, campaign.graceEndsAt),
    );
    if (stale.length > 0)
      await this.writer.accept(
        stale.map((choice) => expiryOf(choice, campaign)),
        (index) => `expiries[${index}].`,
        { kind: 'system', component: 'reconsent' },
      );
    const lapsedPeople = new Map<string, string[]>();
    for (const { subjectId, purpose } of stale)
      lapsedPeople.set(subjectId, [...(lapsedPeople.get(subjectId) ?? []), purpose]);
    await this.records.lapsed(
      campaign,
      [...lapsedPeople].map(([subjectId, purposes]) => ({ subjectId, purposes })),
    );
    await this.store.settle(campaign.campaignId, [...lapsedPeople.keys()], 'LAPSED');
    await this.store.settle(campaign.campaignId, subjectIds, 'ANSWERED');
    return lapsedPeople.size;
  }
}

function expiryOf(choice: LatestChoice, campaign: ReconsentCampaign): ConsentEventRequest {
  return systemExpiry(
    choice,
    campaign.graceEndsAt,
    'reconsent',
    `re-consent campaign ${campaign.campaignId} ended without an answer; grant ${choice.eventId} no longer counts`,
    `reconsent:${campaign.campaignId}:${choice.eventId}`,
  );
}
