import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { LifecycleRecordPublisher } from '@consent-ledger/kafka';
import type { LifecycleRecord, LifecycleRecordType } from '@consent-ledger/kafka';
import { LIFECYCLE_STORE } from '@consent-ledger/persistence';
import type {
  LatestChoice,
  LifecycleMessage,
  LifecycleMessageKind,
  LifecycleStore,
  ReconsentCampaign,
} from '@consent-ledger/persistence';

const sentType: Record<LifecycleMessageKind, LifecycleRecordType> = {
  RECONSENT_REQUEST: 'RECONSENT_REQUESTED',
  RECONSENT_REMINDER: 'RECONSENT_REMINDED',
  RENEWAL_REMINDER: 'RENEWAL_REMINDED',
  CONSENT_LAPSED: 'CONSENT_LAPSED_TOLD',
};

/**
 * Records each step of the lifecycle on the lifecycle topic before the database notes it, so
 * that the topic tells the whole story: a crash in between records a step twice under the same
 * record id, never not at all.
 */
@Injectable()
export class LifecycleRecords implements OnApplicationShutdown {
  constructor(
    private readonly publisher: LifecycleRecordPublisher,
    @Inject(LIFECYCLE_STORE) private readonly store: LifecycleStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }

  /** Messages the email platform took. */
  async sent(messages: readonly LifecycleMessage[]): Promise<void> {
    const at = new Date().toISOString();
    await this.publisher.publish(
      messages.map((message) => ({
        recordId: `sent:${message.messageKey}`,
        type: sentType[message.kind],
        occurredAt: at,
        subjectId: message.subjectId,
        campaignId: message.campaignId,
        purposes: message.details.purposes,
        details: { ...message.details, messageKey: message.messageKey },
      })),
    );
  }

  /** People of a campaign who answered (their due messages are then dropped). */
  async answered(
    messages: readonly LifecycleMessage[],
    choices: ReadonlyMap<string, LatestChoice>,
  ): Promise<void> {
    const byCampaign = new Map<string, Map<string, LifecycleMessage>>();
    for (const message of messages) {
      const campaign = byCampaign.get(message.campaignId!) ?? new Map();
      byCampaign.set(message.campaignId!, campaign.set(message.subjectId, message));
    }
    for (const [campaignId, people] of byCampaign) {
      await this.publisher.publish(
        [...people.values()].map((message) => answerOf(campaignId, message, choices)),
      );
      await this.store.settle(campaignId, [...people.keys()], 'ANSWERED');
    }
    // Settling drops the people's messages; these too when someone had been settled already.
    await this.store.cancel(
      messages.map(({ messageKey }) => messageKey),
      'answered',
    );
  }

  async campaign(
    type: 'RECONSENT_CAMPAIGN_STARTED' | 'RECONSENT_CAMPAIGN_FINISHED',
    campaign: ReconsentCampaign,
    details: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.publisher.publish([
      {
        recordId: `${type.toLowerCase()}:${campaign.campaignId}`,
        type,
        occurredAt: new Date().toISOString(),
        subjectId: null,
        campaignId: campaign.campaignId,
        purposes: [],
        details: {
          noticeId: campaign.noticeId,
          noticeVersion: campaign.noticeVersion,
          graceEndsAt: campaign.graceEndsAt.toISOString(),
          ...details,
        },
      },
    ]);
  }

  /** People whose grace period ended without an answer: their old grants were expired. */
  async lapsed(
    campaign: ReconsentCampaign,
    people: ReadonlyArray<{ readonly subjectId: string; readonly purposes: readonly string[] }>,
  ): Promise<void> {
    await this.publisher.publish(
      people.map(({ subjectId, purposes }) => ({
        recordId: `lapsed:${campaign.campaignId}:${subjectId}`,
        type: 'RECONSENT_LAPSED',
        occurredAt: campaign.graceEndsAt.toISOString(),
        subjectId,
        campaignId: campaign.campaignId,
        purposes,
        details: {},
      })),
    );
  }
}

/** The answer's record: when the person's latest choice of the campaign's purposes was made. */
function answerOf(
  campaignId: string,
  message: LifecycleMessage,
  choices: ReadonlyMap<string, LatestChoice>,
): LifecycleRecord {
  const answers = message.details.purposes
    .map((purpose) => choices.get(`${message.subjectId}|${purpose}`))
    .filter((choice): choice is LatestChoice => choice !== undefined);
  const latest = answers.reduce<LatestChoice | undefined>(
    (found, choice) => (found && found.occurredAt >= choice.occurredAt ? found : choice),
    undefined,
  );
  return {
    recordId: `answered:${campaignId}:${message.subjectId}`,
    type: 'RECONSENT_ANSWERED',
    occurredAt: (latest?.occurredAt ?? new Date()).toISOString(),
    subjectId: message.subjectId,
    campaignId,
    purposes: message.details.purposes,
    details: {
      answers: answers.map(({ purpose, action, eventId }) => ({ purpose, action, eventId })),
    },
  };
}
