import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { CONSENT_POLICY } from '@consent-ledger/config';
import type { LoadedConsentPolicy } from '@consent-ledger/config';
import { awaitsReconsent, reconsentSteps } from '@consent-ledger/consent-domain';
import type { ReconsentSchedule } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { LIFECYCLE_STORE } from '@consent-ledger/persistence';
import type {
  CampaignProgress,
  CampaignSubject,
  LatestChoice,
  LifecycleStore,
  ReconsentCampaign,
} from '@consent-ledger/persistence';
import { LifecycleMessageSender } from '../lifecycle-messages/lifecycle-message.sender';
import { LifecycleRecords } from '../lifecycle-messages/lifecycle-records';
import { NoticeRegistrationService } from '../notices/notice-registration.service';

/** Subjects read per page while selecting an audience. */
const PAGE = 500;

/** A campaign and how far it has come. */
export interface CampaignStatus {
  readonly campaign: ReconsentCampaign;
  readonly progress: CampaignProgress;
}

/**
 * Re-consent after a material notice change: publishing the version starts one campaign, which
 * puts everyone whose grant rests on an older version of the notice in its audience with a
 * request and the reminders of the schedule, to be sent by the lifecycle sender. The selection
 * runs in the background in pages and resumes after a crash where it stopped.
 */
@Injectable()
export class ReconsentCampaignsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconsentCampaignsService.name);
  private readonly selecting = new Map<string, Promise<void>>();

  constructor(
    @Inject(LIFECYCLE_STORE) private readonly store: LifecycleStore,
    private readonly records: LifecycleRecords,
    private readonly sender: LifecycleMessageSender,
    private readonly notices: NoticeRegistrationService,
    @Inject(CONSENT_POLICY) private readonly policy: LoadedConsentPolicy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const campaign of await this.store.unselectedCampaigns())
      this.selectInBackground(campaign);
  }

  /** Starts the campaign of a registered notice version (a repeat answers the one started). */
  async start(
    noticeId: string,
    version: string,
    schedule: Partial<ReconsentSchedule>,
    startedBy: string,
  ): Promise<CampaignStatus & { readonly created: boolean }> {
    await this.notices.find(noticeId, version);
    const startedAt = new Date();
    const { steps, graceEndsAt } = reconsentSteps(startedAt, {
      ...this.policy.lifecycle.reconsent,
      ...schedule,
    });
    const { created, campaign } = await this.store.startCampaign({
      campaignId: `${noticeId}@${version}`,
      noticeId,
      noticeVersion: version,
      startedAt,
      graceEndsAt,
      steps,
      startedBy,
    });
    if (created) {
      await this.records.campaign('RECONSENT_CAMPAIGN_STARTED', campaign, { startedBy });
      this.selectInBackground(campaign);
    }
    return { created, campaign, progress: await this.store.progress(campaign.campaignId) };
  }

  async status(campaignId: string): Promise<CampaignStatus> {
    const campaign = await this.store.campaign(campaignId);
    if (!campaign)
      throw new AppError(
        'CAMPAIGN.NOT_FOUND',
        'Campaign not found',
        `No re-consent campaign '${campaignId}' was started.`,
      );
    return { campaign, progress: await this.store.progress(campaignId) };
  }

  /** Resolves once the campaign's audience is selected (tests, the bench). */
  async selected(campaignId: string): Promise<void> {
    await this.selecting.get(campaignId);
  }

  private selectInBackground(campaign: ReconsentCampaign): void {
    if (this.selecting.has(campaign.campaignId)) return;
    const selecting = this.select(campaign)
      .catch((error: Error) =>
        this.logger.error({
          msg: 'audience selection stopped; it resumes at the next start',
          campaignId: campaign.campaignId,
          error: error.message,
        }),
      )
      .finally(() => this.selecting.delete(campaign.campaignId));
    this.selecting.set(campaign.campaignId, selecting);
  }

  private async select(campaign: ReconsentCampaign): Promise<void> {
    let after = campaign.selectedThrough;
    let selected = 0;
    for (;;) {
      const { choices, last } = await this.store.noticeGrants(campaign.noticeId, after, PAGE);
      const subjects = stillOnOlderVersions(choices, campaign);
      await this.store.addAudience(campaign, subjects, last);
      selected += subjects.length;
      if (subjects.length > 0) this.sender.nudge();
      if (last === null) break;
      after = last;
    }
    this.logger.log({
      msg: 're-consent audience selected',
      campaignId: campaign.campaignId,
      selected,
    });
  }
}

/** The subjects, with their purposes, whose grants rest on an older version of the notice. */
function stillOnOlderVersions(
  choices: readonly LatestChoice[],
  campaign: ReconsentCampaign,
): CampaignSubject[] {
  const notice = { noticeId: campaign.noticeId, version: campaign.noticeVersion };
  const bySubject = new Map<string, string[]>();
  for (const choice of choices) {
    if (!awaitsReconsent(choice, notice, campaign.startedAt)) continue;
    bySubject.set(choice.subjectId, [...(bySubject.get(choice.subjectId) ?? []), choice.purpose]);
  }
  return [...bySubject].map(([subjectId, purposes]) => ({ subjectId, purposes }));
}
